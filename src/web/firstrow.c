/*
 * firstrow.c - the newest ranked week's leaderboard, rendered into
 * index.html for the first response (see firstrow.h).
 *
 * The markup is app.js's leaderboard (leaderboardView, boardRow), the same
 * classes and text, so the page looks the same before and after app.js
 * takes over; what needs script stays for app.js (the week selector's
 * list, the interval bars, whose positions are inline styles the page's
 * CSP forbids in markup, the before-release note, opening a row). Every
 * database string goes through web_html_escape: markup in a model's name
 * shows as text here as it does in app.js's text nodes.
 */
#include "web/firstrow.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/assets.h"

#define PAGE_MAX (1024 * 1024) /* a board of a few dozen models is ~20 KB */

static const char open_marker[] = "<!--first-view-->";
static const char close_marker[] = "<!--/first-view-->";

int web_html_escape(struct buf *b, const char *text, struct err *err)
{
    const char *start = text;
    for (const char *p = text; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        if (buf_append(b, start, (size_t)(p - start), err) < 0 || buf_append_str(b, rep, err) < 0)
            return -1;
        start = p + 1;
    }
    return buf_append_str(b, start, err);
}

/* encodeURIComponent: what app.js puts after "#/model/". */
static int uri_component(struct buf *b, const char *text, struct err *err)
{
    static const char keep[] = "-_.!~*'()";
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    (*p && strchr(keep, *p));
        if (plain ? buf_append(b, p, 1, err) : buf_printf(b, err, "%%%02X", *p) < 0)
            return -1;
    }
    return 0;
}

static const char *str(const json_t *row, const char *key)
{
    const char *s = json_string_value(json_object_get(row, key));
    return s ? s : "";
}

/* A number cell; NAN when null. */
static double num(const json_t *row, const char *key)
{
    const json_t *v = json_object_get(row, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* "Week 1, 2026", as app.js's weekLabel. */
static int week_label(struct buf *b, const char *week, struct err *err)
{
    int year, n;
    char tail;
    if (sscanf(week, "%4d-W%2d%c", &year, &n, &tail) == 2)
        return buf_printf(b, err, "Week %d, %d", n, year);
    return web_html_escape(b, week, err);
}

static int pct(struct buf *b, double v, struct err *err)
{
    return isnan(v) ? buf_append_str(b, "\xe2\x80\x94", err) : buf_printf(b, err, "%.1f%%", v);
}

static int duration(struct buf *b, double ms, struct err *err)
{
    if (isnan(ms))
        return buf_append_str(b, "\xe2\x80\x94", err);
    if (ms < 1000)
        return buf_printf(b, err, "%.0f ms", round(ms));
    if (ms < 120000)
        return buf_printf(b, err, "%.2f s", ms / 1000);
    return buf_printf(b, err, "%.1f min", ms / 60000);
}

static int money(struct buf *b, double v, struct err *err)
{
    if (isnan(v))
        return buf_append_str(b, "\xe2\x80\x94", err);
    return buf_printf(b, err, v < 0.01 && v > 0 ? "$%.4f" : "$%.2f", v);
}

static int movement(struct buf *b, const json_t *row, struct err *err)
{
    double previous = num(row, "previous_rank"), change = num(row, "rank_change");
    if (isnan(previous))
        return buf_append_str(b, "<span class=\"move new\" data-movement=\"new\">NEW</span>", err);
    int c = isnan(change) ? 0 : (int)change;
    if (c > 0)
        return buf_printf(b, err,
                          "<span class=\"move up\" data-movement=\"up %d\" title=\"up %d\">\xe2\x96\xb2 %d</span>",
                          c, c, c);
    if (c < 0)
        return buf_printf(b, err,
                          "<span class=\"move down\" data-movement=\"down %d\" title=\"down %d\">"
                          "\xe2\x96\xbc %d</span>",
                          -c, -c, -c);
    return buf_append_str(b, "<span class=\"move same\" data-movement=\"unchanged\" title=\"unchanged\">=</span>", err);
}

static int tenure(struct buf *b, int rank, double weeks, struct err *err)
{
    if (isnan(weeks) || weeks < 1)
        return 0;
    int w = (int)weeks;
    if (buf_append_str(b, "<span class=\"tenure\">", err) < 0)
        return -1;
    if (rank == 1 && w >= 3 &&
        buf_printf(b, err, "<span class=\"crown\" title=\"%d weeks at #1\">\xe2\x99\x9b </span>", w) < 0)
        return -1;
    return buf_printf(b, err, "%d %s at #%d</span>", w, w == 1 ? "week" : "weeks", rank);
}

/* One tr.board-row, as boardRow() builds it, and its hidden detail row. */
static int board_row(struct buf *b, const json_t *row, struct err *err)
{
    int rank = (int)num(row, "rank");
    const char *medal = rank == 1 ? "gold" : rank == 2 ? "silver" : rank == 3 ? "bronze" : "plain";
    const char *provider = str(row, "provider");
    char lower[128];
    size_t i = 0;
    for (; provider[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)(provider[i] >= 'A' && provider[i] <= 'Z' ? provider[i] - 'A' + 'a' : provider[i]);
    lower[i] = '\0';
    if (buf_append_str(b, "<tr class=\"board-row\" tabindex=\"0\" role=\"button\" aria-expanded=\"false\" "
                          "data-model-id=\"", err) < 0 ||
        web_html_escape(b, str(row, "model_id"), err) < 0 ||
        buf_printf(b, err,
                   "\" data-rank=\"%d\"><td class=\"rank\"><span class=\"rank-badge %s\" aria-label=\"rank %d\">"
                   "%d</span></td>",
                   rank, medal, rank, rank) < 0 ||
        buf_append_str(b, "<td class=\"model\"><a class=\"model-name\" href=\"#/model/", err) < 0)
        return -1;
    struct buf href;
    buf_init(&href, 4096);
    int rc = uri_component(&href, str(row, "model_id"), err);
    if (rc == 0)
        rc = web_html_escape(b, href.data ? href.data : "", err);
    buf_free(&href);
    if (rc < 0 || buf_append_str(b, "\">", err) < 0 || web_html_escape(b, str(row, "model"), err) < 0 ||
        buf_append_str(b, "</a> <span class=\"provider\" data-provider=\"", err) < 0 ||
        web_html_escape(b, lower, err) < 0 || buf_append_str(b, "\">", err) < 0 ||
        web_html_escape(b, *provider ? provider : "?", err) < 0 ||
        buf_append_str(b, "</span><div class=\"sub\">", err) < 0 ||
        tenure(b, rank, num(row, "tenure_weeks"), err) < 0 ||
        buf_append_str(b, "</div></td><td class=\"score\"><span class=\"accuracy\">", err) < 0 ||
        pct(b, num(row, "accuracy"), err) < 0 ||
        buf_printf(b, err, "</span><div class=\"sub correct\">%.0f/%.0f</div></td>", num(row, "correct"),
                   num(row, "total")) < 0 ||
        buf_append_str(b, "<td class=\"wide\"></td><td class=\"narrow-hide latency\">", err) < 0 ||
        duration(b, num(row, "avg_latency_ms"), err) < 0 ||
        buf_append_str(b, "</td><td class=\"narrow-hide cost\">", err) < 0 || money(b, num(row, "cost"), err) < 0 ||
        buf_append_str(b, "</td><td class=\"movement\">", err) < 0 || movement(b, row, err) < 0 ||
        buf_append_str(b, "</td></tr><tr class=\"detail\" hidden><td colspan=\"7\"></td></tr>", err) < 0)
        return -1;
    return 0;
}

/* The view: toolbar (the week only), heading and count, the board. */
static int render_view(struct buf *b, const json_t *board, struct err *err)
{
    const char *week = str(board, "week");
    const json_t *rows = json_object_get(board, "rows");
    size_t n = json_array_size(rows);
    if (buf_append_str(b, "<div class=\"first-view\" data-week=\"", err) < 0 || web_html_escape(b, week, err) < 0 ||
        buf_append_str(b, "\"><div class=\"toolbar\"><label for=\"week\">Week </label>"
                          "<select id=\"week\" aria-label=\"week\" disabled><option selected>", err) < 0 ||
        week_label(b, week, err) < 0 ||
        buf_append_str(b, "</option></select></div>"
                          "<section class=\"summary\" aria-label=\"week summary\"><h2>", err) < 0 ||
        week_label(b, week, err) < 0 ||
        buf_printf(b, err, "</h2><p class=\"counts\"><span data-count=\"clues\">%.0f clues</span> \xc2\xb7 "
                           "<span data-count=\"models\">%zu %s ranked</span></p></section>",
                   num(board, "clues"), n, n == 1 ? "model" : "models") < 0 ||
        buf_append_str(b, "<div class=\"scroll\"><table class=\"board\"><caption>", err) < 0 ||
        week_label(b, week, err) < 0 ||
        buf_append_str(b, ": ranked models</caption><thead><tr><th scope=\"col\">Rank</th><th scope=\"col\">Model</th>"
                          "<th scope=\"col\">Accuracy</th><th class=\"wide\" scope=\"col\">95% interval </th>"
                          "<th class=\"narrow-hide\" scope=\"col\">Avg time</th>"
                          "<th class=\"narrow-hide\" scope=\"col\">Cost</th><th scope=\"col\">Move</th>"
                          "</tr></thead><tbody>",
                       err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (board_row(b, json_array_get(rows, i), err) < 0)
            return -1;
    return buf_append_str(b, "</tbody></table></div></div>", err);
}

int web_firstrow_page(struct store *store, char **out, size_t *len, struct err *err)
{
    *out = NULL;
    *len = 0;
    const struct web_asset *index = web_asset_find("/index.html");
    if (!index)
        return err_set(err, "no embedded index.html");
    return web_firstrow_render(store, (const char *)index->data, out, len, err);
}

int web_firstrow_render(struct store *store, const char *html, char **out, size_t *len, struct err *err)
{
    *out = NULL;
    *len = 0;
    const char *open = strstr(html, open_marker);
    const char *close = open ? strstr(open, close_marker) : NULL;
    if (!open || !close)
        return err_set(err, "index.html has no %s ... %s markers", open_marker, close_marker);
    char week[16];
    if (store_newest_ranked_week(store, week, err) < 0)
        return err_prefix(err, "first view");
    if (!week[0])
        return 0;
    json_t *board = NULL;
    if (store_leaderboard_json(store, week, &board, err) < 0)
        return err_prefix(err, "first view of %s", week);
    int rc = -1;
    struct buf b;
    buf_init(&b, PAGE_MAX);
    if (json_array_size(json_object_get(board, "rows")) == 0) {
        rc = 0;
        goto out;
    }
    size_t head = (size_t)(open - html) + sizeof open_marker - 1;
    if (buf_append(&b, html, head, err) < 0 || render_view(&b, board, err) < 0 ||
        buf_append_str(&b, close, err) < 0)
        goto out;
    *len = b.len;
    *out = buf_take(&b);
    rc = *out ? 1 : err_set(err, "out of memory");
out:
    buf_free(&b);
    json_decref(board);
    return rc;
}
