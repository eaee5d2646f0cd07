/* fsutil.c - small file-system helpers; see fsutil.h. */
#include "core/fsutil.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

int fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fs_make_parent_dirs(const char *path, struct err *err)
{
    char dir[PATH_MAX];
    if (strlen(path) >= sizeof dir)
        return err_set(err, "path too long: %s", path);
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            struct stat st;
            if (stat(dir, &st) != 0) {
                if (mkdir(dir, 0755) != 0 && errno != EEXIST)
                    return err_errno(err, errno, "cannot create directory %s", dir);
            } else if (!S_ISDIR(st.st_mode)) {
                return err_set(err, "cannot create directory %s: a file of that name is in the way", dir);
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    return 0;
}
