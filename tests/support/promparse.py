#!/usr/bin/env python3
"""A strict parser of the Prometheus text exposition format, version 0.0.4.

Reads an exposition on stdin. On success prints JSON on stdout and exits 0:

  {"families": {"<name>": {"type": "counter", "help": "...",
                           "samples": [{"name": "...", "labels": {...}, "value": "1", "timestamp": null}]}},
   "series": {"<name>{a=\"x\",b=\"y\"}": "1", ...}}

Values are kept as their text (NaN and +Inf are not JSON); "series" keys
have the labels sorted by name and their values escaped as in the format,
so a test can look one up by building the same string.

On any violation prints "promparse: line N: <what>" on stderr and exits 1.
Checked, beyond the grammar (metric and label names, label value escapes,
float and timestamp syntax, UTF-8, newline at the end):
  - at most one HELP and one TYPE per family, both before its first sample;
  - every sample belongs to a family with a TYPE and a HELP line (this is
    stricter than the format, which allows untyped samples: our server
    declares every family);
  - a family's lines form one group (no family resumes after another);
  - no duplicate series, no duplicate label in a sample, no reserved
    (__-prefixed) label names;
  - counters are named *_total, their values are non-negative and not NaN;
  - histograms: only _bucket/_sum/_count samples; each series' buckets have
    an le label, strictly increasing bounds, non-decreasing counts, end in
    le="+Inf" whose count equals _count; _sum and _count are present;
  - summaries: quantile samples, _sum and _count; le/quantile labels only
    where they belong.
Standard library only.
"""
import json
import math
import re
import sys

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# Go's ParseFloat accepts more (hex, "inf", "Infinity"); the format's own
# examples and every client library use plain decimals plus these three.
FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
SPECIAL = {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}
TIMESTAMP = re.compile(r"-?[0-9]+\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
BLANKS = " \t"


class Violation(Exception):
    """A format violation; line is filled in by whoever knows it."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line


def parse_float(text, what):
    if text in SPECIAL:
        return SPECIAL[text]
    if not FLOAT.match(text):
        raise Violation("%s %r is not a float" % (what, text))
    return float(text)


def escape(value):
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def series_key(name, labels):
    if not labels:
        return name
    return name + "{" + ",".join('%s="%s"' % (k, escape(labels[k])) for k in sorted(labels)) + "}"


def skip_blanks(line, i):
    while i < len(line) and line[i] in BLANKS:
        i += 1
    return i


def parse_help_text(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text):
                raise Violation("HELP text ends in a lone backslash")
            nxt = text[i + 1]
            if nxt == "\\":
                out.append("\\")
            elif nxt == "n":
                out.append("\n")
            else:
                raise Violation("HELP text has the escape \\%s (only \\\\ and \\n)" % nxt)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_labels(line, i):
    """Parses '{...}' from line[i] == '{'; returns (labels, index after '}')."""
    labels = {}
    i += 1
    while True:
        i = skip_blanks(line, i)
        if i < len(line) and line[i] == "}":
            return labels, i + 1
        m = LABEL_NAME.match(line, i)
        if not m:
            raise Violation("expected a label name at column %d" % (i + 1))
        name = m.group(0)
        if name.startswith("__"):
            raise Violation("label name %s is reserved (starts with __)" % name)
        if name in labels:
            raise Violation("label %s appears twice" % name)
        i = skip_blanks(line, m.end())
        if i >= len(line) or line[i] != "=":
            raise Violation("expected '=' after label %s" % name)
        i = skip_blanks(line, i + 1)
        if i >= len(line) or line[i] != '"':
            raise Violation("label %s: the value must be in double quotes" % name)
        i += 1
        value = []
        while True:
            if i >= len(line):
                raise Violation("label %s: unterminated value" % name)
            c = line[i]
            if c == '"':
                i += 1
                break
            if c == "\\":
                if i + 1 >= len(line):
                    raise Violation("label %s: unterminated escape" % name)
                nxt = line[i + 1]
                if nxt == "\\":
                    value.append("\\")
                elif nxt == '"':
                    value.append('"')
                elif nxt == "n":
                    value.append("\n")
                else:
                    raise Violation('label %s: bad escape \\%s (only \\\\, \\" and \\n)' % (name, nxt))
                i += 2
                continue
            value.append(c)
            i += 1
        labels[name] = "".join(value)
        i = skip_blanks(line, i)
        if i < len(line) and line[i] == ",":
            i += 1
            continue
        if i < len(line) and line[i] == "}":
            return labels, i + 1
        raise Violation("expected ',' or '}' after label %s" % name)


def parse_sample(line):
    m = METRIC_NAME.match(line)
    if not m:
        raise Violation("expected a metric name")
    name, i = m.group(0), m.end()
    labels = {}
    if i < len(line) and line[i] == "{":
        labels, i = parse_labels(line, i)
    elif i < len(line) and line[i] not in BLANKS:
        raise Violation("metric name %s is followed by %r" % (name, line[i]))
    rest = line[i:]
    if rest[:1] not in (" ", "\t"):
        raise Violation("%s: expected blanks before the value" % name)
    fields = [f for f in re.split(r"[ \t]+", rest) if f]
    if not fields:
        raise Violation("%s: no value" % name)
    if len(fields) > 2:
        raise Violation("%s: unexpected %r after the timestamp" % (name, " ".join(fields[2:])))
    value = parse_float(fields[0], "%s: value" % name)
    timestamp = None
    if len(fields) == 2:
        if not TIMESTAMP.match(fields[1]):
            raise Violation("%s: timestamp %r is not an integer" % (name, fields[1]))
        timestamp = int(fields[1])
    return name, labels, fields[0], value, timestamp


def family_of(name, families):
    """The declared family a sample name belongs to, or None."""
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            fam = families.get(base)
            if fam and fam["type"] in ("histogram", "summary"):
                if suffix == "_bucket" and fam["type"] != "histogram":
                    return None
                return base
    fam = families.get(name)
    if fam and fam["type"] is not None and fam["type"] != "histogram":
        return name
    return None


def check_histograms_and_counters(families):
    for fname, fam in families.items():
        kind = fam["type"]
        if kind == "counter":
            if not fname.endswith("_total"):
                raise Violation("counter %s is not named *_total" % fname, fam["line"])
            for s in fam["samples"]:
                if math.isnan(s["v"]) or s["v"] < 0:
                    raise Violation("counter %s has the value %s" % (fname, s["value"]), s["line"])
        if kind not in ("histogram", "summary"):
            for s in fam["samples"]:
                for bad in ("le", "quantile"):
                    if bad in s["labels"]:
                        raise Violation("%s: label %s on a %s" % (s["name"], bad, kind), s["line"])
            continue
        groups = {}
        for s in fam["samples"]:
            labels = dict(s["labels"])
            marker = "le" if kind == "histogram" else "quantile"
            bound = labels.pop(marker, None)
            key = tuple(sorted(labels.items()))
            g = groups.setdefault(key, {"buckets": [], "sum": None, "count": None, "line": s["line"]})
            if s["name"] == fname + "_sum":
                if bound is not None:
                    raise Violation("%s_sum has a %s label" % (fname, marker), s["line"])
                g["sum"] = s
            elif s["name"] == fname + "_count":
                if bound is not None:
                    raise Violation("%s_count has a %s label" % (fname, marker), s["line"])
                g["count"] = s
            elif (kind == "histogram" and s["name"] == fname + "_bucket") or (kind == "summary" and s["name"] == fname):
                if bound is None:
                    raise Violation("%s has no %s label" % (s["name"], marker), s["line"])
                try:
                    g["buckets"].append((parse_float(bound, "%s label" % marker), s))
                except Violation as v:
                    v.line = s["line"]
                    raise
            else:
                raise Violation("%s is not a sample of %s %s" % (s["name"], kind, fname), s["line"])
        for key, g in groups.items():
            what = "%s%s" % (fname, "{%s}" % ",".join('%s="%s"' % kv for kv in key) if key else "")
            if g["sum"] is None:
                raise Violation("%s has no _sum" % what, g["line"])
            if g["count"] is None:
                raise Violation("%s has no _count" % what, g["line"])
            count = g["count"]["v"]
            if math.isnan(count) or count < 0 or count != math.floor(count):
                raise Violation("%s_count is %s" % (fname, g["count"]["value"]), g["count"]["line"])
            if kind == "summary":
                continue
            if not g["buckets"]:
                raise Violation("%s has no buckets" % what, g["line"])
            prev_le, prev_n = None, None
            for le, s in g["buckets"]:
                if math.isnan(le):
                    raise Violation("%s has le=NaN" % what, s["line"])
                if prev_le is not None and le <= prev_le:
                    raise Violation("%s: bucket le=%s is not above the one before it" % (what, s["labels"]["le"]), s["line"])
                if math.isnan(s["v"]) or s["v"] < 0:
                    raise Violation("%s: bucket le=%s has the count %s" % (what, s["labels"]["le"], s["value"]), s["line"])
                if prev_n is not None and s["v"] < prev_n:
                    raise Violation("%s: buckets are not cumulative (le=%s has %s, fewer than %s before it)"
                                    % (what, s["labels"]["le"], s["value"], prev_n), s["line"])
                prev_le, prev_n = le, s["v"]
            if prev_le != math.inf:
                raise Violation('%s: the last bucket is not le="+Inf"' % what, g["buckets"][-1][1]["line"])
            if prev_n != count:
                raise Violation('%s: le="+Inf" has %s but _count is %s' % (what, g["buckets"][-1][1]["value"],
                                                                             g["count"]["value"]), g["count"]["line"])


def parse(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Violation("not UTF-8 at byte %d" % e.start, 0)
    if not text:
        raise Violation("empty exposition", 0)
    if not text.endswith("\n"):
        raise Violation("the last line does not end with a newline", text.count("\n") + 1)
    families = {}
    series = {}
    current = None  # the family whose lines we are in
    closed = set()  # families whose group has ended

    def enter(name, lineno):
        nonlocal current
        if name == current:
            return
        if name in closed:
            raise Violation("family %s resumes after other lines (a family's lines must be one group)" % name, lineno)
        if current is not None:
            closed.add(current)
        current = name

    for lineno, line in enumerate(text[:-1].split("\n"), 1):
        try:
            if "\r" in line:
                raise Violation("carriage return in the line")
            stripped = line.strip(BLANKS)
            if not stripped:
                continue  # the format ignores empty lines
            if stripped.startswith("#"):
                tokens = stripped[1:].lstrip(BLANKS)
                m = re.match(r"(HELP|TYPE)[ \t]+", tokens)
                if not m:
                    if re.match(r"(HELP|TYPE)\Z", tokens):
                        raise Violation("%s without a metric name" % tokens)
                    continue  # a plain comment
                keyword, rest = m.group(1), tokens[m.end():]
                nm = METRIC_NAME.match(rest)
                if not nm:
                    raise Violation("%s: bad metric name %r" % (keyword, rest.split()[0] if rest.split() else rest))
                name, after = nm.group(0), rest[nm.end():]
                if after and after[0] not in BLANKS:
                    raise Violation("%s: bad metric name %r" % (keyword, rest.split()[0]))
                enter(name, lineno)
                fam = families.setdefault(name, {"type": None, "help": None, "samples": [], "line": lineno})
                if fam["samples"]:
                    raise Violation("%s for %s comes after its samples" % (keyword, name))
                if keyword == "HELP":
                    if fam["help"] is not None:
                        raise Violation("second HELP for %s" % name)
                    fam["help"] = parse_help_text(after[1:] if after else "")
                else:
                    kind = after.strip(BLANKS)
                    if kind not in TYPES:
                        raise Violation("TYPE %s: unknown type %r" % (name, kind))
                    if fam["type"] is not None:
                        raise Violation("second TYPE for %s" % name)
                    # A histogram's sample names must not be taken by another family.
                    for other in families:
                        if other != name and family_of(other, {name: {"type": kind}}) == name:
                            raise Violation("TYPE %s %s clashes with family %s" % (name, kind, other))
                    fam["type"] = kind
                continue
            name, labels, value_text, value, timestamp = parse_sample(stripped)
            fname = family_of(name, families)
            if fname is None and families.get(name, {}).get("type") == "histogram":
                raise Violation("%s is a histogram: its samples are %s_bucket, _sum and _count" % (name, name))
            if fname is None:
                raise Violation("sample %s has no TYPE line before it" % name)
            fam = families[fname]
            if fam["help"] is None:
                raise Violation("sample %s has no HELP line before it" % name)
            enter(fname, lineno)
            key = series_key(name, labels)
            if key in series:
                raise Violation("duplicate series %s" % key)
            series[key] = value_text
            fam["samples"].append({"name": name, "labels": labels, "value": value_text, "v": value,
                                   "timestamp": timestamp, "line": lineno})
        except Violation as v:
            if v.line is None:
                v.line = lineno
            raise
    for name, fam in families.items():
        if fam["type"] is None:
            raise Violation("family %s has a HELP but no TYPE" % name, fam["line"])
        if fam["help"] is None:
            raise Violation("family %s has a TYPE but no HELP" % name, fam["line"])
    check_histograms_and_counters(families)
    out = {"families": {}, "series": series}
    for name, fam in families.items():
        out["families"][name] = {
            "type": fam["type"],
            "help": fam["help"],
            "samples": [{k: s[k] for k in ("name", "labels", "value", "timestamp")} for s in fam["samples"]],
        }
    return out


def main():
    try:
        result = parse(sys.stdin.buffer.read())
    except Violation as v:
        where = "line %d: " % v.line if v.line else ""
        sys.stderr.write("promparse: %s%s\n" % (where, v.message))
        return 1
    json.dump(result, sys.stdout, sort_keys=True)  # ASCII: any locale reads it
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
