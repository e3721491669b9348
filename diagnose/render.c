/* Renderers: the same verdict as a report for people, one line for the
 * stress runner's summary, or a JSON object for tools. Every string that
 * came from the log passes through an escaper here: the text and one-line
 * forms must stay one line per item, the JSON form valid JSON even when the
 * log is not valid UTF-8. */
#include <string.h>

#include "rwd.h"

static const char *seed_str(int seed) {
  return seed >= 0 && seed < RWD_SEEDS ? rwd_seeds[seed].name : "";
}

/* ---- text --------------------------------------------------------------- */

/* Prints "label" then text wrapped at ~78 columns, indented under it. */
static void wrapped(FILE *out, const char *label, const char *text) {
  const int indent = 11, width = 78;
  fprintf(out, "%-*s", indent, label);
  int col = indent;
  const char *p = text;
  while (*p) {
    size_t w = strcspn(p, " ");
    if (col > indent && col + 1 + (int)w > width) {
      fprintf(out, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', out);
      col++;
    }
    fwrite(p, 1, w, out);
    col += (int)w;
    p += w;
    while (*p == ' ') p++;
  }
  fputc('\n', out);
}

static void quotes(FILE *out, const rwd_verdict *v) {
  for (int i = 0; i < v->nevidence; i++)
    fprintf(out, "  %6lu | %s\n", v->evidence[i]->no, v->evidence[i]->text);
}

/* Every report of the log with its own verdict, when there is more than
 * one (one report is the verdict above). */
static void reports_text(FILE *out, const struct rwd_facts *f) {
  if (f->nreports < 2) return;
  fprintf(out, "reports:   %d in the log%s\n", f->nreports + (int)f->reports_dropped,
          f->reports_dropped ? " (the first ones shown)" : "");
  for (int i = 0; i < f->nreports; i++) {
    const struct rwd_report *r = &f->report[i];
    fprintf(out, "  %6lu | %s", r->no, r->id ? r->id : "not-recognised");
    if (r->detail[0]) fprintf(out, " (%.160s)", r->detail);
    if (r->seed >= 0) fprintf(out, "; %sseed %s", r->seed_certain ? "" : "likely ", seed_str(r->seed));
    if (r->frames[0]) fprintf(out, "; at %s", r->frames);
    fputc('\n', out);
  }
}

static void render_text(FILE *out, const struct rwd_facts *f, const rwd_verdict *v) {
  fprintf(out, "racewire-diagnose: %s (%lu line%s)\n", f->source, f->nlines,
          f->nlines == 1 ? "" : "s");
  if (f->ntruncated || f->nbinary)
    fprintf(out, "note:      %lu line(s) cut at %d bytes, %lu binary byte(s) shown as '.'\n",
            f->ntruncated, RWD_LINE_MAX, f->nbinary);
  if (f->capped)
    fprintf(out, "note:      read only the first %llu MiB: the input is %s, which may never "
                 "end\n",
            RWD_SPECIAL_CAP >> 20, f->source_what ? f->source_what : "not a regular file");
  fprintf(out, "log:       written by %s TSan%s\n", rwd_logkind_name(v->kind),
          v->kind == RWD_LOG_GDB ? " (a debugger's backtrace)" : "");
  if (f->truncated) {
    char line[RWD_TEXT_MAX + 32];
    snprintf(line, sizeof line, "TRUNCATED: %s", f->truncated_why);
    wrapped(out, "note:", line);
  }
  if (!v->sig) {
    fprintf(out, "verdict:   not recognised: no known crash signature in this log\n");
    if (v->nevidence) {
      fprintf(out, "salient lines:\n");
      quotes(out, v);
      if (f->salient_dropped)
        fprintf(out, "  (%lu more salient line(s) not shown)\n", f->salient_dropped);
    } else {
      fprintf(out, "salient lines: none (no ThreadSanitizer, FATAL, CHECK, SEGV, panic, "
                   "signal lines)\n");
    }
    wrapped(out, "next:",
            "If the program died, make sure the log holds its stderr (TSan writes there) "
            "and rerun with TSAN=debug and RACEWIRE_OPTIONS=policy=abort; a new signature "
            "belongs in diagnose/signatures.c.");
    return;
  }
  char line[2 * RWD_TEXT_MAX];
  snprintf(line, sizeof line, "%s - %s", v->sig->id, v->sig->title);
  wrapped(out, "verdict:", line);
  if (v->detail[0]) wrapped(out, "", v->detail);
  if (v->seed >= 0) {
    const struct rwd_seed *s = &rwd_seeds[v->seed];
    snprintf(line, sizeof line, "%s%s - %s%s%s%s", v->seed_certain ? "" : "likely ", s->name,
             s->what, s->issue[0] ? " (" : "", s->issue, s->issue[0] ? ")" : "");
    wrapped(out, "seed:", line);
  }
  if (v->seed_note[0]) wrapped(out, "basis:", v->seed_note);
  wrapped(out, "invariant:", v->sig->invariant);
  if (v->ninvolved) {
    fprintf(out, "involved:\n");
    for (int i = 0; i < v->ninvolved; i++) fprintf(out, "  - %s\n", v->involved[i]);
  }
  if (v->nevidence) {
    fprintf(out, "log lines:\n");
    quotes(out, v);
  }
  wrapped(out, "cause:", v->cause ? v->cause : v->sig->cause);
  wrapped(out, "fix:", v->fix ? v->fix : v->sig->fix);
  if (v->nalso) {
    line[0] = '\0';
    for (int i = 0; i < v->nalso; i++)
      rwd_appendf(line, sizeof line, "%s%s", i ? ", " : "", v->also[i]->id);
    wrapped(out, "also seen:", line);
  }
  reports_text(out, f);
}

/* ---- one line ------------------------------------------------------------ */

static void render_oneline(FILE *out, const struct rwd_facts *f, const rwd_verdict *v) {
  char buf[3 * RWD_TEXT_MAX];
  if (!v->sig) {
    snprintf(buf, sizeof buf, "not-recognised: not recognised (%d salient line(s)", f->nsalient +
             (int)(f->salient_dropped > 1000000 ? 1000000 : f->salient_dropped));
    if (f->nsalient)
      rwd_appendf(buf, sizeof buf, "; first at line %lu: %.160s", f->salient[0].no,
                  f->salient[0].text);
    rwd_appendf(buf, sizeof buf, ")");
  } else {
    snprintf(buf, sizeof buf, "%s: %s", v->sig->id, v->sig->title);
    if (v->detail[0]) rwd_appendf(buf, sizeof buf, " (%s)", v->detail);
    if (f->truncated) rwd_appendf(buf, sizeof buf, " [truncated log]");
    if (f->nreports > 1) rwd_appendf(buf, sizeof buf, " [%d reports]", f->nreports);
    if (v->seed >= 0)
      rwd_appendf(buf, sizeof buf, "; %sseed %s", v->seed_certain ? "" : "likely ",
                  seed_str(v->seed));
  }
  /* The scanner already removed control bytes; this keeps the promise of
   * one line even if a future field is filled from elsewhere. */
  for (char *p = buf; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  fprintf(out, "%s\n", buf);
}

/* ---- JSON -------------------------------------------------------------------- */

/* Length of a valid UTF-8 sequence at p, or 0. */
static int utf8_len(const unsigned char *p) {
  if (p[0] < 0x80) return 1;
  int n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
  if (n == 0 || (n == 2 && p[0] < 0xc2) || (n == 4 && p[0] > 0xf4)) return 0;
  for (int i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80) return 0;
  return n;
}

static void jstr(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      fputc('\\', out);
      fputc(c, out);
      p++;
    } else if (c < 0x20) {
      fprintf(out, "\\u%04x", c);
      p++;
    } else {
      int n = utf8_len(p);
      if (n == 0) {
        fputs("\\ufffd", out);  /* not UTF-8: keep the JSON valid */
        p++;
      } else {
        fwrite(p, 1, (size_t)n, out);
        p += n;
      }
    }
  }
  fputc('"', out);
}

void rwd_json_string(FILE *out, const char *s) { jstr(out, s); }

static void jkey(FILE *out, const char *k, int *first) {
  fputs(*first ? "" : ",", out);
  *first = 0;
  jstr(out, k);
  fputc(':', out);
}

static void render_json(FILE *out, const struct rwd_facts *f, const rwd_verdict *v) {
  int first = 1;
  fputc('{', out);
  jkey(out, "recognised", &first);
  fputs(v->sig ? "true" : "false", out);
  jkey(out, "signature", &first);
  if (v->sig) jstr(out, v->sig->id); else fputs("null", out);
  jkey(out, "title", &first);
  jstr(out, v->sig ? v->sig->title : "not recognised");
  jkey(out, "detail", &first);
  jstr(out, v->detail);
  jkey(out, "seed", &first);
  if (v->seed >= 0) jstr(out, seed_str(v->seed)); else fputs("null", out);
  if (v->seed >= 0) {
    jkey(out, "seed_certain", &first);
    fputs(v->seed_certain ? "true" : "false", out);
    jkey(out, "seed_title", &first);
    jstr(out, rwd_seeds[v->seed].what);
    jkey(out, "seed_issue", &first);
    jstr(out, rwd_seeds[v->seed].issue);
  }
  jkey(out, "attribution", &first);
  jstr(out, v->seed < 0 ? "none" : v->seed_certain ? "evidence" : "guess");
  jkey(out, "attribution_note", &first);
  jstr(out, v->seed_note);
  jkey(out, "log_kind", &first);
  jstr(out, rwd_logkind_name(v->kind));
  jkey(out, "truncated", &first);
  fputs(f->truncated ? "true" : "false", out);
  if (f->truncated) {
    jkey(out, "truncated_why", &first);
    jstr(out, f->truncated_why);
  }
  if (v->sig) {
    jkey(out, "invariant", &first);
    jstr(out, v->sig->invariant);
    jkey(out, "cause", &first);
    jstr(out, v->cause ? v->cause : v->sig->cause);
    jkey(out, "fix", &first);
    jstr(out, v->fix ? v->fix : v->sig->fix);
  }
  jkey(out, "frames", &first);
  fputc('[', out);
  for (int i = 0; i < f->nframes; i++) {
    if (i) fputc(',', out);
    jstr(out, f->frames[i]);
  }
  fputc(']', out);
  jkey(out, "reports", &first);
  fputc('[', out);
  for (int i = 0; i < f->nreports; i++) {
    const struct rwd_report *r = &f->report[i];
    fprintf(out, "%s{\"line\":%lu,\"signature\":", i ? "," : "", r->no);
    if (r->id) jstr(out, r->id); else fputs("null", out);
    fputs(",\"detail\":", out);
    jstr(out, r->detail);
    fputs(",\"seed\":", out);
    if (r->seed >= 0) jstr(out, seed_str(r->seed)); else fputs("null", out);
    fputs(",\"frames\":", out);
    jstr(out, r->frames);
    fputs(",\"head\":", out);
    jstr(out, r->head);
    fputc('}', out);
  }
  fputc(']', out);
  jkey(out, "involved", &first);
  fputc('[', out);
  for (int i = 0; i < v->ninvolved; i++) {
    if (i) fputc(',', out);
    jstr(out, v->involved[i]);
  }
  fputc(']', out);
  jkey(out, "evidence", &first);
  fputc('[', out);
  for (int i = 0; i < v->nevidence; i++) {
    fprintf(out, "%s{\"line\":%lu,\"text\":", i ? "," : "", v->evidence[i]->no);
    jstr(out, v->evidence[i]->text);
    fputc('}', out);
  }
  fputc(']', out);
  jkey(out, "also", &first);
  fputc('[', out);
  for (int i = 0; i < v->nalso; i++) {
    if (i) fputc(',', out);
    jstr(out, v->also[i]->id);
  }
  fputc(']', out);
  jkey(out, "log", &first);
  fputs("{\"source\":", out);
  jstr(out, f->source);
  fprintf(out, ",\"lines\":%lu,\"bytes\":%llu,\"truncated_lines\":%lu,\"binary_bytes\":%lu,"
               "\"capped\":%s}",
          f->nlines, f->nbytes, f->ntruncated, f->nbinary, f->capped ? "true" : "false");
  jkey(out, "counts", &first);
  fprintf(out,
          "{\"check_failures\":%d,\"race_reports\":%d,\"races_counted\":%ld,"
          "\"racewire_fatals\":%d,\"hangs\":%d,\"segv_lines\":%d,\"salient_lines\":%lu}",
          f->ncheck, f->nraces,
          f->found_races >= 0 ? f->found_races : f->reported_warnings, f->nfatal, f->nhang,
          f->nsegv, (unsigned long)f->nsalient + f->salient_dropped);
  fputs("}\n", out);
}

void rwd_render(FILE *out, enum rwd_format fmt, const struct rwd_facts *f,
                const rwd_verdict *v) {
  switch (fmt) {
    case RWD_FMT_ONELINE: render_oneline(out, f, v); break;
    case RWD_FMT_JSON: render_json(out, f, v); break;
    default: render_text(out, f, v); break;
  }
}
