/*
 * report_html.c - the back-test report's page: one self-contained HTML file
 * (summary, the run, per rule its keys with an SVG timeline each, the
 * evidence of every episode, the limits that were reached), from what
 * report.c collected.
 *
 * Hostile text: every string from an article (and from the config) goes
 * through nr_report_escape; a link is written only for an http(s) URL, as
 * an escaped attribute. The page has no script and loads nothing: the CSS
 * and SVG are inline, fonts are the reader's own.
 */
#include "report_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void nr_report_escape(FILE *f, const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0, run = 0; /* bytes [i - run, i) pass through unchanged */
    while (i < n) {
        unsigned c = s[i];
        const char *rep = NULL;
        size_t l = 1;
        if (c == '&')
            rep = "&amp;";
        else if (c == '<')
            rep = "&lt;";
        else if (c == '>')
            rep = "&gt;";
        else if (c == '"')
            rep = "&quot;";
        else if (c == '\'')
            rep = "&#39;";
        else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            rep = "\xef\xbf\xbd";
        else if (c >= 0x80 && (l = nr_utf8_seq(s + i, n - i)) == 0) {
            rep = "\xef\xbf\xbd";
            l = 1;
        } else if (c >= 0x80 && l == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0) {
            rep = "\xef\xbf\xbd"; /* C1 controls */
        }
        if (rep) {
            if (run)
                fwrite(p + i - run, 1, run, f);
            run = 0;
            fputs(rep, f);
            i += l;
            continue;
        }
        i += l;
        run += l;
    }
    if (run)
        fwrite(p + n - run, 1, run, f);
}

static void esc(FILE *f, const char *s)
{
    if (s)
        nr_report_escape(f, s, strlen(s));
}

static void fmt_time(int64_t ms, char *buf, size_t cap)
{
    if (ms == NR_TIME_NONE) {
        snprintf(buf, cap, "\xe2\x80\x94");
        return;
    }
    time_t sec = (time_t)(ms / 1000 - (ms % 1000 < 0));
    struct tm tm;
    if (!gmtime_r(&sec, &tm)) {
        snprintf(buf, cap, "?");
        return;
    }
    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

static bool http_url(const char *u)
{
    if (!u)
        return false;
    bool ok = strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0;
    for (const unsigned char *p = (const unsigned char *)u; ok && *p; p++)
        ok = *p > 0x20 && *p != 0x7f;
    return ok;
}

static void dur_text(int64_t ms, char *buf, size_t cap)
{
    if (ms % 86400000 == 0)
        snprintf(buf, cap, "%lldd", (long long)(ms / 86400000));
    else if (ms % 3600000 == 0)
        snprintf(buf, cap, "%lldh", (long long)(ms / 3600000));
    else if (ms % 60000 == 0)
        snprintf(buf, cap, "%lldm", (long long)(ms / 60000));
    else
        snprintf(buf, cap, "%llds", (long long)(ms / 1000));
}

static const char CSS[] =
    ":root{--fg:#1b1f24;--mut:#5b6470;--bg:#fff;--line:#d8dde3;--count:#1f5fbf;"
    "--exp:#6b7280;--thr:#c0262d;--fire:#f6b26b;--esc:#e06666;--res:#2e7d32}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);"
    "background:var(--bg)}"
    "main{max-width:1200px;margin:0 auto;padding:16px}"
    "h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;margin:1.4em 0 .4em;"
    "border-bottom:2px solid var(--line)}h3{font-size:1.05em;margin:1em 0 .3em}"
    ".meta,.note{color:var(--mut);font-size:.9em}"
    ".scroll{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;margin:.3em 0 .8em;font-size:.9em}"
    "th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}"
    "th{background:#f3f5f7}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "code{font:.85em ui-monospace,monospace;word-break:break-all}"
    ".key{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:12px 0}"
    ".tl{overflow-x:auto}.tl svg{display:block;width:100%;min-width:640px;height:auto}"
    "svg .axis{stroke:#9aa3ad;stroke-width:1}svg text{font-size:13px;fill:#4b5563}"
    "svg .count{fill:none;stroke:var(--count);stroke-width:2}"
    "svg .dot{fill:var(--count)}"
    "svg .expected{fill:none;stroke:var(--exp);stroke-width:1.5;stroke-dasharray:6 4}"
    "svg .threshold{fill:none;stroke:var(--thr);stroke-width:1.5;stroke-dasharray:2 3}"
    "svg .ep-firing{fill:var(--fire);opacity:.45}svg .ep-escalated{fill:var(--esc);opacity:.45}"
    "svg .ep-resolved{stroke:var(--res);stroke-width:2}"
    ".legend{font-size:.85em;color:var(--mut)}.legend span{margin-right:12px;white-space:nowrap}"
    ".sw{display:inline-block;width:18px;height:10px;margin-right:4px;vertical-align:middle}"
    ".sev-low{color:#3b6}.sev-medium{color:#b70}.sev-high{color:#d40}.sev-critical{color:#b00;"
    "font-weight:bold}"
    "ul.ev{list-style:none;padding:0;margin:.3em 0 .8em}"
    "ul.ev li{border-left:3px solid var(--line);padding:2px 8px;margin:4px 0;"
    "overflow-wrap:anywhere}"
    ".src{color:var(--mut);font-size:.88em}.terms{font-size:.88em}"
    ".terms b{font-weight:600}"
    "@media (max-width:640px){body{font-size:14px}main{padding:8px}"
    "th,td{padding:2px 4px}.key{padding:6px}}";

static void write_summary(const struct nr_report *r, FILE *f)
{
    const struct nr_config *cfg = r->cfg;
    fputs("<section id=\"summary\"><h2>Alerts per rule</h2><div class=\"scroll\"><table>"
          "<tr><th>rule</th><th>topic</th><th>keys</th><th>alerts</th><th>firing</th>"
          "<th>escalated</th><th>resolved</th><th>low</th><th>medium</th><th>high</th>"
          "<th>critical</th></tr>",
          f);
    uint64_t tot[10] = {0};
    for (size_t i = 0; i < cfg->n_rules; i++) {
        const struct rule_count *c = &r->rc[i];
        uint64_t all = c->state[0] + c->state[1] + c->state[2];
        fprintf(f, "<tr><td><a href=\"#r%zu\">", i);
        esc(f, cfg->rules[i].id);
        fputs("</a></td><td>", f);
        esc(f, cfg->rules[i].topic ? cfg->rules[i].topic : "(any)");
        fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td>", c->keys,
                all);
        uint64_t v[9] = {c->keys,        all,
                         c->state[0],    c->state[1],
                         c->state[2],    c->severity[0],
                         c->severity[1], c->severity[2],
                         c->severity[3]};
        for (int j = 2; j < 9; j++)
            fprintf(f, "<td class=\"n\">%" PRIu64 "</td>", v[j]);
        fputs("</tr>", f);
        for (int j = 0; j < 9; j++)
            tot[j] += v[j];
    }
    fputs("<tr><th>all rules</th><th></th>", f);
    for (int j = 0; j < 9; j++)
        fprintf(f, "<th class=\"n\">%" PRIu64 "</th>", tot[j]);
    fputs("</tr></table></div><p class=\"note\">Severity columns count alerts by the severity "
          "they carry (an episode's highest so far).</p></section>\n",
          f);
}

static void write_run(const struct nr_report *r, const struct nr_report_run *run, FILE *f)
{
    const struct nr_engine_stats *st = &run->stats;
    uint64_t fe = 0;
    for (int i = 0; i < NR_FIELD_COUNT; i++)
        fe += st->field_errors[i];
    char a[32], b[32];
    fmt_time(r->t_min, a, sizeof(a));
    fmt_time(r->t_max, b, sizeof(b));
    fputs("<section id=\"run\"><h2>Back-test</h2><div class=\"scroll\"><table>", f);
    fprintf(f, "<tr><th>stream time</th><td>%s &ndash; %s UTC</td></tr>", a, b);
    fprintf(f, "<tr><th>articles read</th><td class=\"n\">%" PRIu64 "</td></tr>", run->articles);
    fprintf(f, "<tr><th>tagged</th><td class=\"n\">%" PRIu64 "</td></tr>", st->tagged);
    fprintf(f, "<tr><th>rejected</th><td class=\"n\">%" PRIu64 "</td></tr>", run->skipped);
    for (int i = 1; i < NR_REJECT_COUNT; i++)
        if (run->by_reason[i])
            fprintf(f, "<tr><th>&nbsp;&nbsp;%s</th><td class=\"n\">%" PRIu64 "</td></tr>",
                    nr_reject_name((enum nr_reject)i), run->by_reason[i]);
    fprintf(f, "<tr><th>duplicates (exact + near)</th><td class=\"n\">%" PRIu64 "</td></tr>",
            st->duplicates);
    fprintf(f,
            "<tr><th>late (older than stream time &minus; grace)</th><td class=\"n\">%" PRIu64
            "</td></tr>",
            st->late);
    fprintf(f,
            "<tr><th>late, not counted (older than the baseline)</th><td class=\"n\">%" PRIu64
            "</td></tr>",
            st->late_dropped);
    fprintf(f, "<tr><th>future-dated</th><td class=\"n\">%" PRIu64 "</td></tr>", st->future);
    fprintf(f, "<tr><th>field errors</th><td class=\"n\">%" PRIu64 "</td></tr>", fe);
    fprintf(f, "<tr><th>UTF-8 repairs</th><td class=\"n\">%" PRIu64 "</td></tr>", st->utf8_repairs);
    fprintf(f,
            "<tr><th>keys alive (evicted)</th><td class=\"n\">%" PRIu64 " (%" PRIu64 ")</td></tr>",
            st->keys, st->keys_evicted);
    fprintf(f, "<tr><th>spikes still open at the end</th><td class=\"n\">%" PRIu64 "</td></tr>",
            st->keys_firing);
    fputs("</table></div>", f);
    if (run->stopped)
        fprintf(f,
                "<p class=\"note\">The replay was stopped by signal %d: this is the part "
                "read until then.</p>",
                run->stopped);
    if (st->late && !run->sorted)
        fputs("<p class=\"note\">Some articles came later than engine.grace behind the newest "
              "one: alerts depend on the input order (replay --sort orders it).</p>",
              f);
    fputs("</section>\n", f);
}

static double nice_ceil(double v)
{
    if (v <= 3)
        return 3;
    double e = pow(10, floor(log10(v)));
    double m = v / e;
    double n = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
    return n * e;
}

struct plot {
    int64_t t0, t1;
    double ymax;
};

#define PL 56.0
#define PR 990.0
#define PT 12.0
#define PB 226.0

static double px(const struct plot *p, int64_t t)
{
    double x = PL + (double)(t - p->t0) / (double)(p->t1 - p->t0) * (PR - PL);
    return x < PL ? PL : x > PR ? PR : x;
}

static double py(const struct plot *p, double v)
{
    if (!(v == v) || v > p->ymax)
        v = p->ymax;
    if (v < 0)
        v = 0;
    return PB - v / p->ymax * (PB - PT);
}

static void write_timeline(const struct nr_report *r, const struct series *s, const uint32_t *eps,
                           size_t n_eps, FILE *f)
{
    const struct nr_alert_rule *ru = &r->cfg->rules[s->rule];
    struct plot p = {r->t_min, r->t_max, 0};
    if (p.t1 <= p.t0)
        p.t1 = p.t0 + 1;
    double top = 1;
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->pts[i].count > top)
            top = s->pts[i].count;
        if (s->pts[i].expected > top)
            top = s->pts[i].expected;
    }
    double thr_top = top;
    for (uint32_t i = 0; i < s->n; i++)
        if (isfinite(s->pts[i].threshold) && s->pts[i].threshold > thr_top &&
            s->pts[i].threshold <= 2 * top + 3)
            thr_top = s->pts[i].threshold;
    p.ymax = nice_ceil(thr_top * 1.1);

    fputs("<div class=\"tl\"><svg viewBox=\"0 0 1000 260\" role=\"img\" "
          "xmlns=\"http://www.w3.org/2000/svg\"><title>window count, expected count and "
          "firing threshold over stream time</title>",
          f);
    /* episodes first, so the lines are drawn over them */
    for (size_t i = 0; i < n_eps; i++) {
        const struct episode *e = &r->eps[eps[i]];
        int64_t end = e->end_ms != NR_TIME_NONE ? e->end_ms : p.t1;
        int64_t esc_at = e->esc_ms != NR_TIME_NONE ? e->esc_ms : end;
        double x0 = px(&p, e->start_ms), x1 = px(&p, esc_at), x2 = px(&p, end);
        fprintf(f,
                "<rect class=\"ep-firing\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
                "height=\"%.0f\"><title>episode %016" PRIx64 " firing</title></rect>",
                x0, PT, x1 - x0 < 2 ? 2 : x1 - x0, PB - PT, e->id);
        if (e->esc_ms != NR_TIME_NONE)
            fprintf(f,
                    "<rect class=\"ep-escalated\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
                    "height=\"%.0f\"><title>episode %016" PRIx64 " escalated</title></rect>",
                    x1, PT, x2 - x1 < 2 ? 2 : x2 - x1, PB - PT, e->id);
        if (e->end_ms != NR_TIME_NONE)
            fprintf(f,
                    "<line class=\"ep-resolved\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" "
                    "y2=\"%.0f\"><title>episode %016" PRIx64 " resolved</title></line>",
                    x2, x2, PT, PB, e->id);
    }
    /* axes and ticks */
    fprintf(f, "<line class=\"axis\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\"/>", PL, PR, PB,
            PB);
    fprintf(f, "<line class=\"axis\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\"/>", PL, PL, PT,
            PB);
    for (int i = 0; i <= 4; i++) {
        double v = p.ymax * i / 4;
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%g</text>", PL - 6,
                py(&p, v) + 4, v);
    }
    for (int i = 0; i <= 4; i++) {
        int64_t t = p.t0 + (p.t1 - p.t0) * i / 4;
        char tb[32];
        fmt_time(t, tb, sizeof(tb));
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">%s</text>", px(&p, t), PB + 20,
                i == 0   ? "start"
                : i == 4 ? "end"
                         : "middle",
                tb);
    }
    /* threshold and expected: continuous */
    const char *cls[2] = {"threshold", "expected"};
    for (int c = 0; c < 2; c++) {
        fprintf(f, "<polyline class=\"%s\" points=\"", cls[c]);
        for (uint32_t i = 0; i < s->n; i++) {
            double v = c == 0 ? s->pts[i].threshold : s->pts[i].expected;
            fprintf(f, "%s%.1f,%.1f", i ? " " : "", px(&p, s->pts[i].t), py(&p, v));
        }
        fputs("\"/>", f);
    }
    /* the count: a line while evaluations are less than a window apart
     * (the key had articles in the window), a dot for a lone point */
    int64_t gap = ru->window_ms > 2 * s->min_dt ? ru->window_ms : 2 * s->min_dt;
    uint32_t i = 0;
    while (i < s->n) {
        uint32_t j = i + 1;
        while (j < s->n && s->pts[j].t - s->pts[j - 1].t <= gap)
            j++;
        if (j - i == 1) {
            fprintf(f, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>",
                    px(&p, s->pts[i].t), py(&p, s->pts[i].count));
        } else {
            fputs("<polyline class=\"count\" points=\"", f);
            for (uint32_t k = i; k < j; k++)
                fprintf(f, "%s%.1f,%.1f", k > i ? " " : "", px(&p, s->pts[k].t),
                        py(&p, s->pts[k].count));
            fputs("\"/>", f);
        }
        i = j;
    }
    fputs("</svg></div>", f);
    fputs("<p class=\"legend\"><span><i class=\"sw\" style=\"background:var(--count)\"></i>window "
          "count</span><span><i class=\"sw\" style=\"border-top:2px dashed var(--exp)\"></i>"
          "expected</span><span><i class=\"sw\" style=\"border-top:2px dotted var(--thr)\"></i>"
          "firing threshold</span><span><i class=\"sw\" style=\"background:var(--fire)\"></i>"
          "firing</span><span><i class=\"sw\" style=\"background:var(--esc)\"></i>escalated"
          "</span><span><i class=\"sw\" style=\"background:var(--res)\"></i>resolved</span></p>",
          f);
    if (s->late_start)
        fputs("<p class=\"note\">The timeline may start late: this key was first followed "
              "after the report's key limit was reached.</p>",
              f);
}

static void write_evidence(const struct episode *e, FILE *f)
{
    if (!e->n_arts)
        return;
    fputs("<ul class=\"ev\">", f);
    for (uint32_t i = 0; i < e->n_arts; i++) {
        const struct ev_art *a = &e->arts[i];
        char tb[32];
        fmt_time(a->published_ms, tb, sizeof(tb));
        fputs("<li>", f);
        if (http_url(a->url)) {
            fputs("<a rel=\"noopener noreferrer nofollow\" href=\"", f);
            esc(f, a->url);
            fputs("\">", f);
        }
        if (a->title && a->title[0])
            esc(f, a->title);
        else
            fputs("(no title)", f);
        if (http_url(a->url))
            fputs("</a>", f);
        fputs("<br><span class=\"src\">", f);
        esc(f, a->source ? a->source : "(no source)");
        fprintf(f, " &middot; %s &middot; <code>", tb);
        esc(f, a->id);
        fputs("</code>", f);
        if (a->dup)
            fputs(" &middot; near duplicate", f);
        fputs("</span>", f);
        if (a->terms) {
            fputs("<br><span class=\"terms\"><b>matched:</b> ", f);
            esc(f, a->terms);
            fputs("</span>", f);
        }
        fputs("</li>", f);
    }
    fputs("</ul>", f);
}

static const char *state_name(uint8_t s)
{
    return nr_alert_state_name((enum nr_alert_state)s);
}

static int cmp_series(const void *a, const void *b)
{
    const struct series *x = *(struct series *const *)a, *y = *(struct series *const *)b;
    if (x->rule != y->rule)
        return x->rule < y->rule ? -1 : 1;
    if (x->n_episodes != y->n_episodes)
        return x->n_episodes > y->n_episodes ? -1 : 1;
    return strcmp(x->key, y->key);
}

struct ep_ref {
    const struct series *s;
    int64_t start;
    uint32_t idx;
};

static int cmp_ep(const void *a, const void *b)
{
    const struct ep_ref *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void write_rule_head(const struct nr_report *r, size_t ri, FILE *f)
{
    const struct nr_alert_rule *ru = &r->cfg->rules[ri];
    char w[24], b[24], bb[24], cd[24];
    dur_text(ru->window_ms, w, sizeof(w));
    dur_text(ru->baseline_ms, b, sizeof(b));
    dur_text(ru->baseline_bucket_ms, bb, sizeof(bb));
    dur_text(ru->cooldown_ms, cd, sizeof(cd));
    fprintf(f, "<h2 id=\"r%zu\">Rule ", ri);
    esc(f, ru->id);
    fputs("</h2><p class=\"meta\">topic ", f);
    esc(f, ru->topic ? ru->topic : "(any)");
    fputs(" &middot; by [", f);
    for (size_t i = 0; i < ru->by.n; i++) {
        if (i)
            fputs(", ", f);
        esc(f, ru->by.v[i]);
    }
    fprintf(f, "] &middot; window %s &middot; baseline %s in %s buckets &middot; min_count %u", w,
            b, bb, ru->min_count);
    if (ru->min_ratio > 0)
        fprintf(f, " &middot; min_ratio %g", ru->min_ratio);
    if (ru->max_p > 0)
        fprintf(f, " &middot; max_p %g", ru->max_p);
    fprintf(f, " &middot; cooldown %s</p>", cd);
}

static void write_keys(const struct nr_report *r, FILE *f)
{
    size_t na = r->n_alerted;
    struct series **ss = nr_xmalloc((na ? na : 1) * sizeof(*ss));
    memcpy(ss, r->all, na * sizeof(*ss));
    qsort(ss, na, sizeof(*ss), cmp_series);
    struct ep_ref *er = nr_xmalloc((r->n_eps ? r->n_eps : 1) * sizeof(*er));
    for (size_t i = 0; i < r->n_eps; i++)
        er[i] = (struct ep_ref){r->eps[i].s, r->eps[i].start_ms, (uint32_t)i};
    qsort(er, r->n_eps, sizeof(*er), cmp_ep);
    /* alerts grouped by episode, in their order: a counting sort */
    uint32_t *first = nr_xcalloc(r->n_eps + 1, sizeof(*first));
    uint32_t *order = nr_xmalloc((r->n_alerts ? r->n_alerts : 1) * sizeof(*order));
    for (size_t i = 0; i < r->n_alerts; i++)
        first[r->alerts[i].episode + 1]++;
    for (size_t i = 0; i < r->n_eps; i++)
        first[i + 1] += first[i];
    uint32_t *fill = nr_xmalloc((r->n_eps + 1) * sizeof(*fill));
    memcpy(fill, first, (r->n_eps + 1) * sizeof(*fill));
    for (size_t i = 0; i < r->n_alerts; i++)
        order[fill[r->alerts[i].episode]++] = (uint32_t)i;
    free(fill);

    uint32_t *eps = nr_xmalloc((r->n_eps ? r->n_eps : 1) * sizeof(*eps));
    size_t timelines = 0, no_timeline = 0;
    int64_t last_rule = -1;
    for (size_t si = 0; si < na; si++) {
        const struct series *s = ss[si];
        if ((int64_t)s->rule != last_rule) {
            if (last_rule >= 0)
                fputs("</section>\n", f);
            fputs("<section class=\"rule\">", f);
            write_rule_head(r, s->rule, f);
            last_rule = s->rule;
        }
        /* this key's episodes: a binary search in er */
        size_t lo = 0, hi = r->n_eps;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (er[mid].s < s)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t ne = 0;
        for (size_t k = lo; k < r->n_eps && er[k].s == s; k++)
            eps[ne++] = er[k].idx;
        fputs("<article class=\"key\"><h3>", f);
        esc(f, s->label);
        fprintf(f, "</h3><p class=\"meta\">%zu episode%s</p>", ne, ne == 1 ? "" : "s");
        if (s->n > 0 && timelines < TIMELINES_MAX) {
            write_timeline(r, s, eps, ne, f);
            timelines++;
        } else {
            no_timeline++;
            fputs("<p class=\"note\">No timeline drawn for this key (report limits, see the "
                  "foot of the page).</p>",
                  f);
        }
        for (size_t k = 0; k < ne; k++) {
            const struct episode *e = &r->eps[eps[k]];
            fprintf(f,
                    "<h4 id=\"e%016" PRIx64 "\">Episode <code>%016" PRIx64 "</code> "
                    "<span class=\"sev-%s\">%s</span></h4>",
                    e->id, e->id, nr_severity_name((enum nr_severity)e->severity),
                    nr_severity_name((enum nr_severity)e->severity));
            fputs("<div class=\"scroll\"><table><tr><th>alert_id</th><th>state</th>"
                  "<th>severity</th><th>detected</th><th>window</th><th>count</th>"
                  "<th>expected</th><th>ratio</th><th>p</th></tr>",
                  f);
            for (uint32_t q = first[eps[k]]; q < first[eps[k] + 1]; q++) {
                const struct ralert *a = &r->alerts[order[q]];
                char d[32], w0[32], w1[32];
                fmt_time(a->detected_ms, d, sizeof(d));
                fmt_time(a->ws, w0, sizeof(w0));
                fmt_time(a->we, w1, sizeof(w1));
                fprintf(f,
                        "<tr><td><code>%s</code></td><td>%s</td><td class=\"sev-%s\">%s</td>"
                        "<td>%s</td><td>%s &ndash; %s</td><td class=\"n\">%u</td>"
                        "<td class=\"n\">%.2f</td><td class=\"n\">%.2f</td>"
                        "<td class=\"n\">%.3g</td></tr>",
                        a->id, state_name(a->state),
                        nr_severity_name((enum nr_severity)a->severity),
                        nr_severity_name((enum nr_severity)a->severity), d, w0, w1 + 11, a->count,
                        a->baseline, a->ratio, a->p);
            }
            fputs("</table></div>", f);
            write_evidence(e, f);
        }
        fputs("</article>", f);
    }
    if (last_rule >= 0)
        fputs("</section>\n", f);
    else
        fputs("<section class=\"rule\"><h2>Alerts</h2><p>No rule alerted in this back-test."
              "</p></section>\n",
              f);
    free(eps);
    free(order);
    free(first);
    free(er);
    free(ss);
    (void)no_timeline;
}

static void write_limits(const struct nr_report *r, FILE *f)
{
    fputs("<footer><h2>About this report</h2><p class=\"note\">Timelines show, at each "
          "evaluation of the key (each of its articles, and every bucket while it fires), the "
          "window count, the expected count from the baseline and the smallest count that "
          "would fire. Episodes are shaded from the firing alert to the escalation and to the "
          "resolution (open episodes run to the end). Times are stream (event) times in UTC.",
          f);
    fprintf(f,
            " Bounds: at most %d points per timeline (beyond, neighbours merge and the "
            "larger count is kept), %d keys followed before they alert, %d timelines drawn, "
            "%d alerts listed, %d evidence articles per episode.",
            POINTS_MAX, SERIES_FOLLOWED, TIMELINES_MAX, ALERTS_MAX, EVIDENCE_PER_EPISODE);
    fputs("</p>", f);
    if (r->alerts_unlisted)
        fprintf(f,
                "<p class=\"note\"><b>%" PRIu64 " alerts</b> (%" PRIu64
                " episodes) are not listed: more than %d alerts. They are counted in the "
                "summary table; the JSON lines on stdout have them all.</p>",
                r->alerts_unlisted, r->episodes_unlisted, ALERTS_MAX);
    if (r->ev_dropped)
        fprintf(f,
                "<p class=\"note\">%" PRIu64 " evidence articles were not kept (more than %d "
                "per episode, or the %zu MB evidence budget was reached).</p>",
                r->ev_dropped, EVIDENCE_PER_EPISODE, EVIDENCE_BYTES_MAX >> 20);
    if (r->series_evicted)
        fprintf(f,
                "<p class=\"note\">%" PRIu64 " keys without an alert were dropped from the "
                "timelines to stay within %d followed keys.</p>",
                r->series_evicted, SERIES_FOLLOWED);
    if (r->n_alerted > SERIES_POINTS_ALERTED)
        fprintf(f, "<p class=\"note\">%zu keys alerted; timelines were kept for the first %d.</p>",
                r->n_alerted, SERIES_POINTS_ALERTED);
    else if (r->n_alerted > TIMELINES_MAX)
        fprintf(f,
                "<p class=\"note\">%zu keys alerted; timelines are drawn for %d of them (most "
                "episodes first within each rule).</p>",
                r->n_alerted, TIMELINES_MAX);
    fputs("</footer>", f);
}

int nr_report_write(const struct nr_report *r, const struct nr_report_run *run, FILE *f)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:\">"
          "<title>newsradar back-test: ",
          f);
    esc(f, run->input);
    fprintf(f, "</title><style>%s</style></head><body><main>\n", CSS);
    fputs("<h1>Back-test report</h1><p class=\"meta\">newsradar replay of <code>", f);
    esc(f, run->input);
    fputs("</code> with <code>", f);
    esc(f, run->config);
    fputs("</code></p>\n", f);
    write_summary(r, f);
    write_run(r, run, f);
    write_keys(r, f);
    write_limits(r, f);
    fputs("</main></body></html>\n", f);
    return ferror(f) ? -1 : 0;
}
