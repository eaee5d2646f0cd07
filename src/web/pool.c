/* pool.c - a bounded pool of threads for slow requests; see pool.h. */
#include "web/pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct web_pool_job {
    struct web_pool_job *next;
    void (*fn)(void *arg);   /* NULL: reserved, not started yet */
    void (*done)(void *arg);
    void *arg;
    char client[64];
};

struct web_pool {
    pthread_mutex_t lock;    /* guards everything below */
    pthread_cond_t ready;    /* a started job is queued, or stopping */
    struct web_pool_job *jobs; /* reserved or started, not yet taken; in order */
    int queued;              /* jobs in the list */
    int running;
    int stopping;
    int threads, queue_max, per_client;
    pthread_t *tids;
    int ntids;
    /* Jobs queued or running per client: small, scanned linearly
     * (at most threads + queue_max entries are ever in use). */
    struct {
        char client[64];
        int n;
    } *clients;
    int nclients;
};

static int *client_count(struct web_pool *p, const char *client, int add)
{
    for (int i = 0; i < p->nclients; i++)
        if (p->clients[i].n > 0 && strcmp(p->clients[i].client, client) == 0)
            return &p->clients[i].n;
    if (!add)
        return NULL;
    for (int i = 0; i < p->nclients; i++)
        if (p->clients[i].n == 0) {
            snprintf(p->clients[i].client, sizeof p->clients[i].client, "%s", client);
            return &p->clients[i].n;
        }
    return NULL;
}

static void *worker(void *arg)
{
    struct web_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct web_pool_job **at = &p->jobs;
        while (*at && !(*at)->fn)
            at = &(*at)->next;
        if (!*at) {
            if (p->stopping && !p->jobs)
                break;
            pthread_cond_wait(&p->ready, &p->lock);
            continue;
        }
        struct web_pool_job *job = *at;
        *at = job->next;
        p->queued--;
        p->running++;
        pthread_mutex_unlock(&p->lock);
        job->fn(job->arg);
        pthread_mutex_lock(&p->lock);
        p->running--;
        int *n = client_count(p, job->client, 0);
        if (n)
            (*n)--;
        pthread_mutex_unlock(&p->lock);
        if (job->done)
            job->done(job->arg);
        free(job);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int web_pool_start(int threads, int queue_max, int per_client, struct web_pool **out, struct err *err)
{
    struct web_pool *p = calloc(1, sizeof *p);
    if (!p)
        return err_set(err, "out of memory");
    p->threads = threads > 0 ? threads : 2;
    p->queue_max = queue_max >= 0 ? queue_max : 16;
    p->per_client = per_client > 0 ? per_client : 2;
    p->nclients = p->threads + p->queue_max;
    p->clients = calloc((size_t)p->nclients, sizeof *p->clients);
    p->tids = calloc((size_t)p->threads, sizeof *p->tids);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    if (!p->clients || !p->tids) {
        web_pool_stop(p);
        return err_set(err, "out of memory");
    }
    for (int i = 0; i < p->threads; i++) {
        if (pthread_create(&p->tids[i], NULL, worker, p) != 0) {
            web_pool_stop(p);
            return err_set(err, "cannot start the SQL endpoint's threads");
        }
        p->ntids++;
    }
    *out = p;
    return 0;
}

enum web_pool_refusal web_pool_reserve(struct web_pool *p, const char *client, struct web_pool_job **job)
{
    enum web_pool_refusal rc = WEB_POOL_OK;
    pthread_mutex_lock(&p->lock);
    int *n = client_count(p, client, 1);
    struct web_pool_job *j = NULL;
    if (p->stopping || p->queued + p->running >= p->threads + p->queue_max || !n)
        rc = WEB_POOL_BUSY;
    else if (*n >= p->per_client)
        rc = WEB_POOL_CLIENT_CAP;
    else if (!(j = calloc(1, sizeof *j)))
        rc = WEB_POOL_BUSY;
    if (rc == WEB_POOL_OK) {
        (*n)++;
        snprintf(j->client, sizeof j->client, "%s", client);
        struct web_pool_job **at = &p->jobs;
        while (*at)
            at = &(*at)->next;
        *at = j;
        p->queued++;
        *job = j;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void web_pool_run(struct web_pool *p, struct web_pool_job *job, void (*fn)(void *arg), void (*done)(void *arg),
                  void *arg)
{
    pthread_mutex_lock(&p->lock);
    job->arg = arg;
    job->done = done;
    job->fn = fn;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

void web_pool_stop(struct web_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->ntids; i++)
        pthread_join(p->tids[i], NULL);
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->lock);
    free(p->tids);
    free(p->clients);
    free(p);
}
