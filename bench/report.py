#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""bench/results/raw.csv -> REPORT.md, summary.csv and PNG plots (gnuplot).

Every figure in the report is a median over the repetitions in raw.csv,
shown with its min and max; ratios are xtcp's median over the other's.
The goals of issues 5, 11, 12 and 16 are checked here and a miss is reported as a miss.
"""
import csv
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict

OUT = sys.argv[1] if len(sys.argv) > 1 else "bench/results"
RAW = os.path.join(OUT, "raw.csv")

rows = defaultdict(list)          # (bench, metric, system) -> [values]
units = {}
with open(RAW) as f:
    for r in csv.DictReader(f):
        k = (r["bench"], r["metric"], r["system"])
        rows[k].append(float(r["value"]))
        units[k] = r["unit"]


# legitimate clients under the flood, pooled over repetitions (run.sh
# legit_pool): one row per (point, system)
legit = {}
try:
    with open(os.path.join(OUT, "legit.csv")) as f:
        for r in csv.DictReader(f):
            legit[(r["point"], r["system"])] = r
except OSError:
    pass
POINTS = ("none", "k2", "k4", "x08", "max")
POINT_NAME = {"none": "no flood", "k2": "2× kernel cookie capacity",
              "k4": "4× kernel cookie capacity", "x08": "0.8× xtcp capacity",
              "max": "generator maximum"}
LEGIT_SYS = ("xtcp", "linux", "linux-cookies")
LEGIT_LABEL = {"xtcp": "xtcp", "linux": "kernel, tcp_syncookies=1",
               "linux-cookies": "kernel, tcp_syncookies=2"}


def gnuplot(script, data, png, what):
    """Run one plot's script; its data file goes either way. The PNG, or
    None when gnuplot is missing or fails (the report goes on without)."""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report: gnuplot for {what}: {e}", file=sys.stderr)
        return None
    finally:
        os.unlink(data)
    return png


def lg(point, system, key):
    r = legit.get((point, system))
    return float(r[key]) if r else None


def stat(bench, metric, system):
    v = rows.get((bench, metric, system))
    if not v:
        return None
    return statistics.median(v), min(v), max(v), len(v)


def med(bench, metric, system):
    s = stat(bench, metric, system)
    return s[0] if s else None


def fmt(x):
    if x is None:
        return "–"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.2f} M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.1f} k"
    if abs(x) >= 100 or x == int(x):
        return f"{x:.0f}"
    return f"{x:.3g}"


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def table(bench, metrics, systems, base=None, lower_better=()):
    """Markdown table: one row per (metric, system), ratio to `base`."""
    out = ["| metric | system | median | min | max | n | xtcp / " +
           (base or "–") + " |", "|---|---|---:|---:|---:|---:|---:|"]
    for m in metrics:
        for s in systems:
            st = stat(bench, m, s)
            if not st:
                continue
            r = ""
            if base and s == "xtcp":
                x = ratio(st[0], med(bench, m, base))
                r = f"{x:.2f}×" if x is not None else "–"
            u = units.get((bench, m, s), "")
            out.append(f"| {m} ({u}) | {s} | {fmt(st[0])} | {fmt(st[1])} | "
                       f"{fmt(st[2])} | {st[3]} | {r} |")
    return "\n".join(out)


def plot(name, title, ylabel, series, logscale=False):
    """A bar chart with min-max error bars; series: [(label, bench, metric, system)]."""
    data = os.path.join(tempfile.gettempdir(), f"xtcp-bench-{os.getpid()}-{name}.dat")
    n = 0
    with open(data, "w") as f:
        for label, b, m, s in series:
            st = stat(b, m, s)
            if st:
                f.write(f'"{label}" {st[0]} {st[1]} {st[2]}\n')
                n += 1
    if not n:
        os.unlink(data)
        return None
    png = f"{name}.png"
    script = f"""
set terminal pngcairo size 900,480 font ",10"
set output "{os.path.join(OUT, png)}"
set title "{title}"
set ylabel "{ylabel}"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set boxwidth 0.8
set xtics rotate by -20 scale 0
set yrange [0:*]
set grid ytics
{"set logscale y" if logscale else ""}
unset key
plot "{data}" using 2:3:4:xtic(1) lc rgb "#3070b0"
"""
    return gnuplot(script, data, png, name)


goals = []


def legit_plot():
    """The first plot: success rate and connect p99 against the flood
    rate (achieved), xtcp beside the kernel; "no flood" sits at the left
    edge of the log axis."""
    if not legit:
        return None
    rates = [lg(p, s, "flood_pps") for p in POINTS for s in LEGIT_SYS
             if (p, s) in legit and p != "none"]
    rates = [r for r in rates if r]
    if not rates:
        return None
    x0 = 10 ** int(__import__("math").floor(__import__("math").log10(min(rates)) - 1))
    data = os.path.join(tempfile.gettempdir(), f"xtcp-bench-{os.getpid()}-legit.dat")
    with open(data, "w") as f:
        for s in LEGIT_SYS:
            pts = sorted((x0 if p == "none" else (lg(p, s, "flood_pps") or x0), p)
                         for p in POINTS if (p, s) in legit)
            for x, p in pts:
                f.write(f"{x} {lg(p, s, 'success_pct')} {max(lg(p, s, 'p99_us'), 1)} "
                        f"{max(lg(p, s, 'p999_us'), 1)}\n")
            f.write("\n\n")
    png = "legit_flood.png"
    lines = []
    colors = {"xtcp": "#d04020", "linux": "#3070b0", "linux-cookies": "#30a050"}
    plots_s, plots_p = [], []
    for i, s in enumerate(LEGIT_SYS):
        plots_s.append(f'"{data}" index {i} using 1:2 with linespoints lw 2 pt 7 '
                       f'lc rgb "{colors[s]}" title "{LEGIT_LABEL[s]}"')
        plots_p.append(f'"{data}" index {i} using 1:3 with linespoints lw 2 pt 7 '
                       f'lc rgb "{colors[s]}" title "{LEGIT_LABEL[s]} p99", '
                       f'"{data}" index {i} using 1:4 with linespoints lw 1 dt 2 pt 6 '
                       f'lc rgb "{colors[s]}" title "p99.9"')
    script = f"""
set terminal pngcairo noenhanced size 1000,760 font ",10"
set output "{os.path.join(OUT, png)}"
set multiplot layout 2,1 title "Legitimate clients (connect, GET, read to EOF) against the SYN flood's rate"
set logscale x
set xtics add ("no flood" {x0})
set xrange [{x0 / 2}:*]
set grid
set key bottom left
set ylabel "success (%)"
set yrange [*:100.5]
set format x "%.0s%c"
plot {", ".join(plots_s)}
set ylabel "connect latency (µs)"
set xlabel "flood (SYN/s, as achieved)"
set logscale y
set yrange [*:*]
set format y "%.0s%c"
set key top left
plot {", ".join(plots_p)}
unset multiplot
"""
    return gnuplot(script, data, png, "legit")


def legit_table():
    out = ["| flood | asked (SYN/s) | achieved (SYN/s) | system | attempts | run time (s) | "
           "success | connect p50 (µs) | p99 (µs) | p99.9 (µs) | client SYN retransmissions | "
           "legitimate packets dropped by the veth ring |",
           "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in POINTS:
        for s in LEGIT_SYS:
            r = legit.get((p, s))
            if not r:
                continue
            tgt = float(r["target_pps"])
            out.append(f"| {POINT_NAME[p]} | {fmt(tgt) if tgt else ('–' if p == 'none' else 'full')} | "
                       f"{fmt(float(r['flood_pps']))} | {LEGIT_LABEL[s]} | {r['attempts']}"
                       f"{'' if int(r['attempts']) >= 2000 else ' (< 2000)'} | "
                       f"{r.get('seconds') or '?'} | "
                       f"{float(r['success_pct']):.2f}% | {fmt(float(r['p50_us']))} | "
                       f"{fmt(float(r['p99_us']))} | {fmt(float(r['p999_us']))} | "
                       f"{r['syn_retrans']} | {r.get('ring_drops') or '?'} |")
    return "\n".join(out)


def ring(point, system):
    r = legit.get((point, system))
    return r.get("ring_drops") or "?" if r else "?"


def goal(text, value, target, ok, detail):
    if value is None or value is False:
        goals.append(f"| {text} | not measured | {target} | **not measured** | {detail} |")
        return
    goals.append(f"| {text} | {value} | {target} | "
                 f"{'met' if ok else '**missed**'} | {detail} |")


machine = {}
try:
    with open(os.path.join(OUT, "machine.txt")) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                machine[k] = v
except OSError:
    pass

md = ["# xtcp beside the Linux stack", ""]
md.append(f"Generated by `make bench{' QUICK=1' if machine.get('mode') == 'quick' else ''}` "
          f"({machine.get('mode', '?')} mode, {machine.get('reps', '?')} repetitions, "
          f"{machine.get('duration_s', '?')} s per timed run) on {machine.get('date', '?')}, "
          f"commit {machine.get('commit', '?')}.")
if machine.get("mode") == "quick":
    md.append("")
    md.append(f"QUICK measures the same things as the full run with less of each: "
              f"{machine.get('reps', '?')} repetitions (full: 5), 1 s timed runs (full: "
              f"3 s), 10⁶ runs per XDP cost figure (full: 10⁷), 1000 idle connections "
              f"(full: 5000), one legitimate-client run per point and system (full: two), "
              f"each still of at least {machine.get('legit_min', '?')} attempts "
              f"(bounded at {machine.get('legit_maxdur', '?')} s; full: 30 s).")
times = [(k[len("time_s_"):], v) for k, v in machine.items()
         if k.startswith("time_s_") and k != "time_s_all"]
if times:
    md.append("")
    md.append("Wall time of each section (s): " +
              ", ".join(f"{k} {v}" for k, v in times) +
              f"; {machine.get('time_s_all', '?')} s in all before the report "
              f"(the machine may have been shared).")
md.append("")
md.append(f"Machine: Linux {machine.get('kernel', '?')}, {machine.get('cpu', '?')}, "
          f"{machine.get('cores', '?')} cores, {machine.get('mem', '?')}. {machine.get('wrk', '')}.")
md.append("")
md.append("""Everything runs on this one machine between two network namespaces joined by
a veth pair: the server side owns CPU 1 (the server process and the server
veth's NAPI thread, where its receive work runs), clients and generators own
CPU 0. Each benchmark runs the systems in turn, alternating, once per
repetition; tables give the median with min and max. Server CPU is the
server process plus the server veth's NAPI thread, from /proc. Raw numbers:
`raw.csv`; medians: `summary.csv`; the method is in bench/run.sh.""")
md.append("")

# ---- goals ---------------------------------------------------------------
x_ans = med("syn_flood", "answers_per_s", "xtcp")
r_ans = med("syn_flood", "answers_per_s", "reflector")
k_ans = med("syn_flood", "answers_per_s", "linux-cookies")
x_cpu = med("syn_flood", "cpu_ns_per_answer", "xtcp")
k_cpu = med("syn_flood", "cpu_ns_per_answer", "linux-cookies")
r = ratio(x_ans, r_ans)
goal("SYN-ACK rate vs the bare XDP_TX reflector (live)", r and f"{100 * r:.0f}%", "≥ 75%",
     r is not None and r >= 0.75, f"{fmt(x_ans)}/s vs {fmt(r_ans)}/s")
t_syn, t_ref = med("xdp_cost", "syn_synack", "xtcp"), med("xdp_cost", "reflector", "floor")
r = ratio(t_syn, t_ref)
goal("SYN → SYN-ACK in test-run vs the bare reflector", r and f"{r:.1f}×", "≤ 7×",
     r is not None and r <= 7, f"{fmt(t_syn)} ns vs {fmt(t_ref)} ns")
r = ratio(k_cpu, x_cpu)
goal("SYN-ACKs per core vs the kernel's cookie path (CPU per SYN-ACK)",
     r and f"{r:.1f}×", "≥ 6×", r is not None and r >= 6,
     f"{fmt(x_cpu)} ns vs {fmt(k_cpu)} ns of server CPU per SYN-ACK; "
     f"rate {fmt(x_ans)}/s vs {fmt(k_ans)}/s")
q99 = lg("none", "xtcp", "p99_us")
for pt in POINTS[1:-1]:
    tgt = lg(pt, "xtcp", "target_pps")
    if tgt is None:
        continue
    below = x_ans is None or tgt < x_ans
    att, succ, p99 = lg(pt, "xtcp", "attempts"), lg(pt, "xtcp", "success_pct"), lg(pt, "xtcp", "p99_us")
    r = ratio(p99, q99)
    ok = succ >= 99.9 and r is not None and r <= 2 and att >= 2000
    goal(f"xtcp's clients at {POINT_NAME[pt]} ({fmt(lg(pt, 'xtcp', 'flood_pps'))} SYN/s"
         f"{'' if below else ', above its capacity'})",
         f"{succ:.2f}%, p99 {r and f'{r:.2f}'}× unflooded",
         "≥ 99.9%, ≤ 2×, ≥ 2000 attempts", ok,
         f"{att:.0f} attempts{'' if att >= 2000 else ' (fewer than 2000)'}"
         f"; p99 {fmt(p99)} µs vs {fmt(q99)} µs")
if ("max", "xtcp") in legit:
    xs, xp = lg("max", "xtcp", "success_pct"), lg("max", "xtcp", "p99_us")
    for k in ("linux", "linux-cookies"):
        if ("max", k) in legit:
            ks, kp = lg("max", k, "success_pct"), lg("max", k, "p99_us")
            r = ratio(kp, xp)
            goals.append(f"| clients at the generator's maximum, xtcp vs {LEGIT_LABEL[k]} | "
                         f"{xs:.2f}% vs {ks:.2f}%; p99 {fmt(xp)} vs {fmt(kp)} µs "
                         f"(kernel / xtcp {r and f'{r:.2f}'}×) | beside | reported | "
                         f"{lg('max', 'xtcp', 'attempts'):.0f} vs {lg('max', k, 'attempts'):.0f} "
                         f"attempts; client SYN retransmissions {lg('max', 'xtcp', 'syn_retrans'):.0f}"
                         f" vs {lg('max', k, 'syn_retrans'):.0f}; legitimate packets the veth "
                         f"ring dropped {ring('max', 'xtcp')} vs {ring('max', k)} |")
for kind, label in (("close", "short HTTP connections (Connection: close)"),
                    ("keepalive", "keep-alive HTTP requests")):
    r = ratio(med(f"http_{kind}", "req_per_cpu_s", "xtcp"),
              med(f"http_{kind}", "req_per_cpu_s", "linux"))
    raw = ratio(med(f"http_{kind}", "req_per_s", "xtcp"),
                med(f"http_{kind}", "req_per_s", "linux"))
    goal(f"{label} per core vs the kernel", r and f"{r:.2f}×", "≥ 1.5×",
         r is not None and r >= 1.5,
         f"requests per server CPU-second; requests per second {raw and f'{raw:.2f}×'}")
for b in ("bulk_source_x1", "bulk_source_x8", "bulk_discard_x1", "bulk_discard_x8"):
    r = ratio(med(b, "gbps", "xtcp"), med(b, "gbps", "linux"))
    goal(f"bulk {b[5:].replace('_x', ', ×')} connections vs the kernel", r and f"{r:.2f}×",
         "≥ 0.8×", r is not None and r >= 0.8,
         f"{fmt(med(b, 'gbps', 'xtcp'))} vs {fmt(med(b, 'gbps', 'linux'))} Gbit/s")

# nginx behind `xtcp attach --to kernel` (issue 11)
s = med("nginx_legit_flood", "success_pct", "xtcp")
n = med("nginx_legit_flood", "attempts", "xtcp")
goal("nginx behind xtcp --to kernel: legitimate connections succeeding during the flood",
     s is not None and f"{s:.2f}%", "≥ 99.9%", s is not None and s >= 99.9,
     f"{fmt(n)} attempts (median per run; ≥ 2,000 wanted); nginx alone: "
     f"{fmt(med('nginx_legit_flood', 'success_pct', 'linux'))}% (syncookies=1), "
     f"{fmt(med('nginx_legit_flood', 'success_pct', 'linux-cookies'))}% (=2)")
for kind, label in (("close", "Connection: close"), ("keepalive", "keep-alive")):
    x = med(f"nginx_http_{kind}", "req_per_s", "xtcp")
    k = med(f"nginx_http_{kind}", "req_per_s", "linux")
    r = ratio(x, k)
    goal(f"nginx behind xtcp vs nginx alone, no flood, wrk {label}",
         r and f"{r:.2f}×", "≥ 0.97×", r is not None and r >= 0.97,
         f"{fmt(x)} vs {fmt(k)} requests/s (nginx alone with tcp_syncookies=1)")
# issue 12: xtcp's proxy app beside HAProxy, both in front of one nginx
for kind, label, target in (("close", "Connection: close", 1.3), ("keepalive", "keep-alive", 1.0)):
    r = ratio(med(f"proxy_{kind}", "req_per_cpu_s", "xtcp"),
              med(f"proxy_{kind}", "req_per_cpu_s", "haproxy"))
    raw = ratio(med(f"proxy_{kind}", "req_per_s", "xtcp"),
                med(f"proxy_{kind}", "req_per_s", "haproxy"))
    goal(f"proxy, {label}: requests per server CPU-second vs HAProxy", r and f"{r:.2f}×",
         f"≥ {target}×", r is not None and r >= target,
         f"requests per second {raw and f'{raw:.2f}×'}")
s_ = med("proxy_legit_flood", "success_pct", "xtcp")
goal("legitimate clients through the proxy during the flood (xtcp)",
     s_ is not None and f"{s_:.2f}%", "≥ 99.9%", s_ is not None and s_ >= 99.9,
     "a GET to nginx through xtcp's proxy, one after another")
# issue 16: xtcp's sender beside Linux's through the impairment bridge
# (bench/sender.sh). A cell is (congestion control, impairment); its time is
# the median transfer time, a timeout counted as the bound (then "≥").
SENDER_IMPS = ("loss1", "loss5", "reorder10", "ge")
SENDER_IMP_NAME = {"loss1": "1% loss", "loss5": "5% loss",
                   "reorder10": "10% reordering (+3 ms)",
                   "ge": "Gilbert-Elliott bursts (~1%)"}
SENDER_CCS = (("cubic", "CUBIC", 1.1), ("bbr", "BBR", 1.25))
SENDER_SYS = {"xtcp": "xtcp", "linux": "Linux"}


def sender_avail(cc, imp, s):
    """True: measured; False: the system has no such cc; None: not run."""
    v = rows.get((f"sender_{cc}_{imp}", "available", s))
    return None if not v else max(v) > 0


def sender_pooled(cc, imp, s, metric):
    v = rows.get((f"sender_{cc}_{imp}", metric, s))
    return sum(v) if v else None


def sender_time(cc, imp, s):
    """(median text, median) with ≥ when a timeout is in the samples."""
    st = stat(f"sender_{cc}_{imp}", "transfer_s", s)
    if not st:
        return None, None
    to = sender_pooled(cc, imp, s, "timeout") or 0
    return f"{'≥ ' if to else ''}{st[0]:.2f} s", st[0]


for cc, CC, target in SENDER_CCS:
    for imp in SENDER_IMPS:
        text = f"xtcp {CC} vs Linux {CC}, {SENDER_IMP_NAME[imp]}: transfer time"
        if sender_avail(cc, imp, "xtcp") is False:
            goals.append(f"| {text} | not available | ≤ {target}× | **not available** | "
                         f"xtcp has no `--cc {cc}` in this build; Linux {CC}: "
                         f"{sender_time(cc, imp, 'linux')[0] or '–'} |")
            continue
        (xt, x), (kt, k) = sender_time(cc, imp, "xtcp"), sender_time(cc, imp, "linux")
        r = ratio(x, k)
        n = [len(rows.get((f"sender_{cc}_{imp}", "transfer_s", s_), [])) for s_ in ("xtcp", "linux")]
        goal(text, r and f"{r:.3f}×", f"≤ {target}×", r is not None and r <= target,
             f"medians {xt} vs {kt}, n = {n[0]} and {n[1]}" if r is not None else "not run")
    if sender_avail(cc, "reorder10", "xtcp") is False:
        goals.append(f"| xtcp {CC}, 10% reordering: spurious retransmissions | not available | "
                     f"< 1% of segments | **not available** | xtcp has no `--cc {cc}` |")
        continue
    if sender_avail(cc, "reorder10", "xtcp") is None:
        goal(f"xtcp {CC}, 10% reordering: spurious retransmissions", None,
             "< 1% of segments", False, "not run")
        continue
    sp, sg = (sender_pooled(cc, "reorder10", "xtcp", m) for m in ("spurious", "segs_out"))
    pct = 100 * sp / sg if sp is not None and sg else None
    worst = max(rows.get((f"sender_{cc}_reorder10", "spurious_pct", "xtcp"), [0]))
    lsp, lsg = (sender_pooled(cc, "reorder10", "linux", m) for m in ("spurious", "segs_out"))
    goal(f"xtcp {CC}, 10% reordering: spurious retransmissions",
         pct is not None and f"{pct:.2f}% (worst repetition {worst:.2f}%)",
         "< 1% of segments in every repetition", pct is not None and worst < 1,
         f"{fmt(sp)} segments the client received twice of {fmt(sg)} sent (all "
         f"repetitions); xtcp counted {fmt(sender_pooled(cc, 'reorder10', 'xtcp', 'dsack_in'))} "
         f"D-SACKs and {fmt(sender_pooled(cc, 'reorder10', 'xtcp', 'undos'))} undos; Linux {CC}: "
         f"{fmt(lsp)} of {fmt(lsg)}" + (f" ({100 * lsp / lsg:.2f}%)" if lsp is not None and lsg else ""))

png = legit_plot()
if png:
    md[2:2] = [f"![Legitimate clients against the flood rate]({png})", "",
               "Success rate and connect latency of a real client (each attempt: "
               "connect, GET, read to EOF) while the generator floods at each rate; "
               "xtcp beside the kernel with `tcp_syncookies=1` and `=2`. Figures in "
               "section 3.", ""]

md += ["## Goals", "",
       "| goal | measured | target | verdict | detail |", "|---|---|---|---|---|"]
md += goals
md.append("")

# ---- sections ------------------------------------------------------------
sections = [
    ("1. XDP program cost", "xdp_cost",
     "ns per packet from BPF_PROG_TEST_RUN with a large repeat count, pinned "
     "to one CPU. xtcp's paths rewrite the frame, so each of them runs "
     "behind a harness (bpf/xdpcost.bpf.c) that restores the frame and then "
     "tail-calls xtcp's program as loaded in production; the harness with "
     "XDP_PASS behind it is timed right before and subtracted, and the bare "
     "XDP_PASS added back. `reflector_harnessed` is the reflector timed that "
     "way, beside the plain `reflector`: their agreement checks the method. "
     "`ack_redirect` includes deleting the flow the previous run inserted "
     "(the harness baseline deletes a missing key, which is cheaper), so it "
     "errs against xtcp. `kernel_*`: a port served --to kernel, where "
     "every segment first asks the kernel for its socket "
     "(bpf_skc_lookup_tcp): a segment of the kernel's own connection passes "
     "after that lookup, a forged ACK dies after it and the cookie check, a "
     "valid third ACK leaves with handoff metadata. `syn_synack` runs "
     "while no flow is open, which skips the flows lookup; "
     "`syn_synack_flows` is a SYN while one is.",
     ["xdp_pass", "reflector", "reflector_harnessed", "syn_synack",
      "syn_synack_flows", "unserved_pass", "flow_redirect", "ack_redirect", "kernel_conn_pass",
      "kernel_forged_drop", "kernel_syn_synack", "kernel_ack_handoff",
      "harness"],
     ["floor", "xtcp", "harness"], None,
     [("XDP_PASS", "xdp_cost", "xdp_pass", "floor"),
      ("reflector", "xdp_cost", "reflector", "floor"),
      ("unserved -> pass", "xdp_cost", "unserved_pass", "xtcp"),
      ("flow -> redirect", "xdp_cost", "flow_redirect", "xtcp"),
      ("SYN -> SYN-ACK", "xdp_cost", "syn_synack", "xtcp"),
      ("3rd ACK -> redirect", "xdp_cost", "ack_redirect", "xtcp")],
     "ns per packet"),
    ("2. SYN flood", "syn_flood",
     "bench/flood.c drives bpf/flood.bpf.c through BPF_PROG_TEST_RUN in "
     "live-frames mode on CPU 0: SYNs with Linux's options from random "
     "sources in 10.200.0.0/16, random ports and sequence numbers, XDP_TX'd "
     "into the veth at the generator's full rate (its own rate is "
     "`generator_per_s`). Answers are counted by an XDP program on the "
     "client veth (bpf/sink.bpf.c), which drops them. The server's work all "
     "runs in the server veth's NAPI thread on CPU 1; `cpu_ns_per_answer` "
     "is that thread's CPU time per answer. Systems: xtcp; the kernel with a "
     "listener and tcp_syncookies=2 (`linux-cookies`); nftables SYNPROXY in "
     "front of a kernel listener (`synproxy`); the bare swap-and-XDP_TX "
     "reflector (bpf/reflect.bpf.c), the ceiling. The client's sink runs "
     "on the server's CPU too (veth runs the receiver's NAPI in the sender's "
     "context), at the same cost per answer for every system.",
     ["answers_per_s", "cpu_ns_per_answer", "server_cpu", "generator_per_s"],
     ["xtcp", "linux-cookies", "synproxy", "reflector"], "linux-cookies",
     [("xtcp", "syn_flood", "answers_per_s", "xtcp"),
      ("kernel syncookies=2", "syn_flood", "answers_per_s", "linux-cookies"),
      ("nft synproxy", "syn_flood", "answers_per_s", "synproxy"),
      ("XDP_TX reflector", "syn_flood", "answers_per_s", "reflector")],
     "SYN-ACKs per second"),
    ("4a. HTTP/1.1, a new connection per request", "http_close",
     "wrk, one thread, 32 connections, `Connection: close`, against xtcp's "
     "`http` app and bench/kserver.c, an epoll server that sends the same "
     "bytes (it calls the app's own http_response()).",
     ["req_per_s", "req_per_cpu_s", "server_cpu", "latency_p50", "latency_p99", "errors"],
     ["xtcp", "linux"], "linux",
     [("xtcp close", "http_close", "req_per_s", "xtcp"),
      ("kernel close", "http_close", "req_per_s", "linux"),
      ("xtcp keep-alive", "http_keepalive", "req_per_s", "xtcp"),
      ("kernel keep-alive", "http_keepalive", "req_per_s", "linux")],
     "requests per second"),
    ("4b. HTTP/1.1 keep-alive", "http_keepalive", "The same with keep-alive.",
     ["req_per_s", "req_per_cpu_s", "server_cpu", "latency_p50", "latency_p99", "errors"],
     ["xtcp", "linux"], "linux", None, None),
]
for b in ("source_x1", "source_x8", "discard_x1", "discard_x8"):
    n = b.split("_x")[1]
    d = "from the server (source)" if b.startswith("source") else "to the server (discard)"
    sections.append((f"5. Bulk, {n} connection{'s' if n != '1' else ''} {d}", f"bulk_{b}",
                     "bench/load.c reading or writing 64 KiB at a time; the kernel "
                     "server is bench/kserver.c with the same byte pattern.",
                     ["gbps", "cpu_ns_per_kb", "server_cpu"], ["xtcp", "linux"], "linux",
                     None, None))
sections.append(("6. Memory", "memory",
                 "Half-open: a one-second flood; the kernel runs with "
                 "tcp_syncookies=0 and a 65536 backlog so it keeps every "
                 "half-open connection it can, counted as SYN-RECV sockets "
                 "against the slab growth during the flood; xtcp keeps none "
                 "(flows map entries plus engine connections, counted). Idle "
                 "established: N connections held open by bench/load.c; "
                 "`idle_slab_kb` is the machine's slab growth (the client's "
                 "sockets are in it for both systems), `idle_rss_per_conn` the "
                 "server process's resident growth per connection.",
                 ["half_open_count", "half_open_slab_kb", "bytes_per_half_open",
                  "idle_slab_kb", "idle_rss_per_conn"], ["xtcp", "linux"], None, None, None))

for tag, title, text in (
        ("quiet", "7a. nginx behind xtcp --to kernel: legitimate clients, no flood",
         "Debian's nginx (one worker, on the server CPU) serving a 16-byte page. "
         "`xtcp`: nginx behind `xtcp attach --to kernel` (tcp_syncookies=1); "
         "`linux`: nginx alone with tcp_syncookies=1; `linux-cookies`: =2. The "
         "client is bench/load.c as in 3a."),
        ("flood", "7b. nginx behind xtcp --to kernel: legitimate clients during the flood",
         "The same while the generator floods nginx's port at its full rate.")):
    sections.append((title, f"nginx_legit_{tag}", text,
                     ["success_pct", "connect_p50", "connect_p99", "attempts"],
                     ["xtcp", "linux", "linux-cookies"], "linux", None, None))
for kind, label in (("close", "a new connection per request"), ("keepalive", "keep-alive")):
    sections.append((f"7c. nginx, HTTP/1.1 {label}", f"nginx_http_{kind}",
                     "wrk, one thread, 32 connections, no flood.",
                     ["req_per_s", "req_per_cpu_s", "server_cpu", "latency_p50",
                      "latency_p99", "errors"],
                     ["xtcp", "linux", "linux-cookies"], "linux", None, None))
sections.append(("8a. Proxy in front of nginx, a new connection per request", "proxy_close",
                 "Debian's nginx (PROXY protocol, a small 200) in the server "
                 "namespace on 127.0.0.1:8081, pinned to the client's CPU; in "
                 "front of it on the server CPU either `xtcp serve --app proxy "
                 "--proxy-protocol v2` or HAProxy 2.6 (`mode tcp`, "
                 "`send-proxy-v2`, one thread). wrk, one thread, 32 "
                 "connections, `Connection: close`. Server CPU: the proxy "
                 "process and the server veth's NAPI thread.",
                 ["req_per_s", "req_per_cpu_s", "server_cpu", "latency_p50", "latency_p99",
                  "errors"], ["xtcp", "haproxy"], "haproxy",
                 [("xtcp close", "proxy_close", "req_per_s", "xtcp"),
                  ("HAProxy close", "proxy_close", "req_per_s", "haproxy"),
                  ("xtcp keep-alive", "proxy_keepalive", "req_per_s", "xtcp"),
                  ("HAProxy keep-alive", "proxy_keepalive", "req_per_s", "haproxy")],
                 "requests per second"))
sections.append(("8b. Proxy in front of nginx, keep-alive", "proxy_keepalive",
                 "The same with keep-alive.",
                 ["req_per_s", "req_per_cpu_s", "server_cpu", "latency_p50", "latency_p99",
                  "errors"], ["xtcp", "haproxy"], "haproxy", None, None))
sections.append(("8c. Legitimate clients through the proxy, no flood", "proxy_legit_quiet",
                 "bench/load.c's GETs, one connection after another, through "
                 "the proxy to nginx.",
                 ["success_pct", "connect_p50", "connect_p99", "attempts"],
                 ["xtcp", "haproxy"], "haproxy", None, None))
sections.append(("8d. Legitimate clients through the proxy during the SYN flood",
                 "proxy_legit_flood", "The same while the generator floods.",
                 ["success_pct", "connect_p50", "connect_p99", "attempts"],
                 ["xtcp", "haproxy"], "haproxy", None, None))

for title, bench, text, metrics, systems, base, series, ylabel in sections:
    if not any(k[0] == bench for k in rows):
        continue
    md += [f"## {title}", "", text, "", table(bench, metrics, systems, base), ""]
    if series:
        png = plot(bench, title, ylabel, series, logscale=(bench == "syn_flood"))
        if png:
            md += [f"![{title}]({png})", ""]

if legit:
    at = next((i for i, l in enumerate(md) if l.startswith("## 4a.")), len(md))
    md[at:at] = ["## 3. Legitimate clients during the flood", "",
           f"Flood rates: none; 2× and 4× what the kernel's cookie path answers on "
           f"one core and 0.8× xtcp's capacity (both the medians of section 2's "
           f"`answers_per_s`; asked: `{machine.get('legit_rates', '?')}`); the "
           f"generator's maximum. The generator (bench/flood.c, paced in "
           f"bpf/flood.bpf.c by spacing frames on the clock) shares CPU 0 with "
           f"the client at SCHED_IDLE, so the client runs whenever it has work "
           f"and the flood takes the rest: the achieved rate, the frames it handed "
           f"the veth during the client's run over that run's time, is the one "
           f"plotted. "
           f"The server (its process and the server veth's NAPI thread) owns CPU 1. "
           f"The client (bench/load.c) is {machine.get('legit_clients', '1')} "
           f"clients in parallel (threads on CPU 0), each connecting one connection "
           f"after another, each a GET read to EOF (timeout 3 s, SYN retries "
           f"included); together they start at most {machine.get('legit_rate', '?')} "
           f"attempts a second on one schedule, the same for every system and point "
           f"and the unflooded baseline: well under 1% of any flood rate here, so "
           f"the legitimate load is no flood of its own, and a client waiting out a "
           f"lost SYN (1 s, then 2 s more) leaves its turns to the others, so a "
           f"lossy point still gets its attempts. A run lasts at least "
           f"{machine.get('duration_s', '?')} s and "
           f"{machine.get('legit_min', '?')} attempts in all (bounded at "
           f"{machine.get('legit_maxdur', '?')} s; an attempt under way at the end "
           f"is finished and counted), "
           f"{machine.get('legit_reps', '?')} run(s) per point and system; success "
           f"is over all attempts, percentiles over all successful connects pooled; "
           f"run time is the client's. "
           f"Client SYN retransmissions (TcpExt TCPSynRetrans of its namespace) "
           f"count legitimate SYNs or SYN-ACKs lost. The veth ring's drops of "
           f"legitimate packets (client to server: SYNs and the rest of each "
           f"connection) are the client veth's tx_dropped less the flood frames "
           f"its peer's ring refused (ethtool `tx_queue_N_xdp_xmit_errors`): "
           f"veth_xmit counts there only the skbs of the client's own stack, which "
           f"carry no flood frame. Above the server's capacity (the generator's "
           f"maximum, and the kernel above its own) that ring is full most of the "
           f"time and drops them.", "",
           legit_table(), ""]

# memory: the kernel server's share of the slab, by difference
xs, ks = med("memory", "idle_slab_kb", "xtcp"), med("memory", "idle_slab_kb", "linux")
if xs is not None and ks is not None and machine.get("idle_conns"):
    n = int(machine.get("idle_conns", "0")) or None
    md += [f"Kernel server's slab per idle connection, by difference "
           f"((linux − xtcp) / {n}): **{(ks - xs) * 1024 / n:.0f} bytes**; "
           f"xtcp's resident growth per connection: "
           f"**{fmt(med('memory', 'idle_rss_per_conn', 'xtcp'))} bytes**.", ""]


def sender_plot():
    """Transfer time by impairment, a bar per (system, cc), log scale."""
    series = [(s, cc) for cc, _, _ in SENDER_CCS for s in ("xtcp", "linux")]
    imps = [i for i in SENDER_IMPS if any((f"sender_{cc}_{i}", "transfer_s", s) in rows
                                          for s, cc in series)]
    if not imps:
        return None
    data = os.path.join(tempfile.gettempdir(), f"xtcp-bench-{os.getpid()}-sender.dat")
    with open(data, "w") as f:
        for i in imps:
            cols = []
            for s, cc in series:
                st = stat(f"sender_{cc}_{i}", "transfer_s", s)
                cols += [f"{st[0]} {st[1]} {st[2]}"] if st else ["? ? ?"]
            f.write(f'"{SENDER_IMP_NAME[i]}" ' + " ".join(cols) + "\n")
    colors = ("#d04020", "#3070b0", "#f0a040", "#60a0e0")
    plots, missing = [], []
    for n, ((s, cc), c) in enumerate(zip(series, colors)):
        title = f"{SENDER_SYS[s]} {cc}"
        if all(stat(f"sender_{cc}_{i}", "transfer_s", s) is None for i in imps):
            missing.append(title)  # no bar, no key entry, no gnuplot warning
            continue
        plots.append(f'"{data}" using {2 + 3 * n}:{3 + 3 * n}:{4 + 3 * n}'
                     + ("" if plots else ":xtic(1)") + f' lc rgb "{c}" title "{title}"')
    png = "sender.png"
    script = f"""
set terminal pngcairo noenhanced size 1000,520 font ",10"
set output "{os.path.join(OUT, png)}"
set title "Transfer time of {machine.get('sender_mb', '?')} MiB through the impairment bridge (5 ms each way), median with min-max"
set ylabel "seconds (log scale)"
set datafile missing "?"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set logscale y
set grid ytics
set key top left
set xtics scale 0
{f'set label 1 "not available: {", ".join(missing)}" at graph 0.02, graph 0.75' if missing else ""}
plot {", ".join(plots)}
"""
    return gnuplot(script, data, png, "sender")


def sender_table():
    out = ["| cc | impairment | system | transfer median | min (s) | max (s) | n | timeouts | "
           "xtcp / Linux | retransmitted segments (median) | of sent | received twice "
           "(median) | of sent | D-SACKs at the sender | undos | RTOs | frames the bridge dropped | "
           "dropped unchosen |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for cc, CC, _ in SENDER_CCS:
        for imp in SENDER_IMPS:
            b = f"sender_{cc}_{imp}"
            for s in ("xtcp", "linux"):
                if sender_avail(cc, imp, s) is False:
                    out.append(f"| {CC} | {SENDER_IMP_NAME[imp]} | {SENDER_SYS[s]} | "
                               f"not available (no `--cc {cc}`) |" + " |" * 14)
                    continue
                st = stat(b, "transfer_s", s)
                if not st:
                    continue
                r = ""
                if s == "xtcp":
                    x = ratio(st[0], med(b, "transfer_s", "linux"))
                    r = f"{x:.2f}×" if x is not None else "–"
                tt = sender_time(cc, imp, s)[0]

                def m(k):
                    return fmt(med(b, k, s))
                out.append(f"| {CC} | {SENDER_IMP_NAME[imp]} | {SENDER_SYS[s]} | {tt} | "
                           f"{st[1]:.2f} | {st[2]:.2f} | {st[3]} | "
                           f"{fmt(sender_pooled(cc, imp, s, 'timeout'))} | {r} | {m('retrans')} | "
                           f"{med(b, 'retrans_pct', s):.2f}% | {m('spurious')} | "
                           f"{med(b, 'spurious_pct', s):.2f}% | {m('dsack_in')} | {m('undos')} | "
                           f"{m('rto')} | {m('wire_lost')} | {m('wire_dropped')} |")
    return "\n".join(out)


if any(k[0].startswith("sender_") for k in rows):
    mb, reps = machine.get("sender_mb", "?"), machine.get("sender_reps", "?")
    md += ["## 9. The sender on a bad path: xtcp beside Linux (issue 16)", "",
           f"A Linux client (CPU 0) reads {mb} MiB from `xtcp serve --app source "
           f"--cc CC --sndbuf 4194304` and from `xtcp-kserver --app source --cc CC` "
           f"(bench/kserver.c; TCP_CONGESTION on its listener), CUBIC beside CUBIC and "
           f"BBR beside BBR (the kernel's `tcp_bbr`, BBRv1; available here: "
           f"`{machine.get('sender_linux_cc', '?')}`), one connection at a time. Between them "
           f"the impairment bridge (tests/tools/impair.c, AF_PACKET, CPU 0) in a middle "
           f"namespace delays every frame 5 ms each way and impairs TCP frames in both "
           f"directions (data and ACKs): 1% loss; 5% loss; 10% of frames held 3 ms "
           f"longer; Gilbert-Elliott bursts (a frame enters a burst with 0.25%, the next "
           f"stays in it with 75%, every frame of a burst lost and none outside: bursts "
           f"of 4 frames on average, about 1% of frames lost). Repetition r seeds the "
           f"bridge with r for both systems. Every frame is one wire segment, built as one "
           f"by each stack: xtcp runs with `--no-gso` (a frame per segment through AF_XDP), the Linux sender's veth runs with "
           f"`ethtool -K gso off tso off gro off` (as measured: "
           f"{machine.get('sender_srv_offloads', '?')}), the client's with GRO off "
           f"({machine.get('sender_cli_offloads', '?')}), so that the receiver sees and "
           f"D-SACKs segments one by one, the bridge's ports with no offloads. There is no rate limit: the bottleneck is the bridge itself "
           f"(one thread, CPU 0, beside the client), with 8 MiB socket buffers and a "
           f"10,000-frame pfifo on its ports, so that a burst waits instead of being "
           f"dropped; *dropped unchosen* counts what was lost anyway without an "
           f"impairment choosing it (the bridge's sockets or queue full, a send "
           f"refused, the four veths' drop counters), and should be 0. "
           f"Both servers run at once on CPU 1 with the server veth's NAPI thread "
           f"(xtcp on port 80; the kernel's on 8080, whose segments cross xtcp's XDP "
           f"program as an unserved port: XDP_PASS), and within a cell the two systems "
           f"run back to back, xtcp first in odd repetitions, Linux first in even ones. "
           + (f"One repetition (QUICK: {mb} MiB instead of 20, every cell once, as "
              f"long as the section's budget of {machine.get('sender_budget_s', '?')} s "
              f"lasts). " if reps == "1" else
              f"Repetitions: every cell once, then the cells that took under "
              f"{machine.get('sender_cheap_s', '?')} s (both systems) the first time up "
              f"to {reps} times in all, then a second sample of the others, as long as "
              f"the section's budget ({machine.get('sender_budget_s', '?')} s) lasts "
              f"(n in the table). ") +
           f"A transfer is bounded at "
           f"{machine.get('sender_bound_s', '?')} s and a timeout counts as the bound. "
           f"*Retransmitted segments*: xtcp's `retransmits`, Linux's `Tcp RetransSegs` "
           f"of the server namespace; *of sent*: over xtcp's `segs_out` / Linux's "
           f"`Tcp OutSegs` during the transfer (including what was in flight or unread when "
           f"the client had its bytes). *Received twice*: the spurious retransmissions, "
           f"counted the same way for both senders at the one receiver: the D-SACKs the "
           f"Linux client sent (RFC 2883; `TcpExtTCPDSACKOldSent` + "
           f"`TcpExtTCPDSACKOfoSent` of its namespace), one per segment it already had "
           f"(the bridge duplicates nothing here, so every duplicate is a retransmission "
           f"whose original arrived, a tail loss probe included). The senders' own views "
           f"beside it: D-SACKs received (xtcp `dsacks_in`; Linux `TCPDSACKRecv` + "
           f"`TCPDSACKOfoRecv`), undos (xtcp `undos`; Linux `TCPDSACKUndo` + "
           f"`TCPLossUndo` + `TCPFullUndo` + `TCPPartialUndo`), RTOs (xtcp "
           f"`rto_expiries`, Linux `TCPTimeouts`).", ""]
    if any(sender_avail(cc, i, "xtcp") is False for cc, _, _ in SENDER_CCS for i in SENDER_IMPS):
        md += ["xtcp cells marked *not available*: this build of xtcp has no such "
               "congestion control (`xtcp serve --cc` refuses it); the Linux cells are "
               "measured alone.", ""]
    md += [sender_table(), ""]
    png = sender_plot()
    if png:
        md += [f"![Transfer time by impairment]({png})", "",
               f"Bars: medians, whiskers min to max, log scale; a timeout stands at the "
               f"bound ({machine.get('sender_bound_s', '?')} s).", ""]
    if int(machine.get("sender_skipped_cells", "0") or 0):
        md += [f"{machine['sender_skipped_cells']} cell(s) of a later repetition were "
               f"skipped: the section had used its time budget "
               f"({machine.get('sender_budget_s', '?')} s; it ran "
               f"{machine.get('sender_elapsed_s', '?')} s).", ""]

with open(os.path.join(OUT, "summary.csv"), "w") as f:
    f.write("bench,metric,system,median,min,max,n,unit\n")
    for (b, m, s), v in sorted(rows.items()):
        f.write(f"{b},{m},{s},{statistics.median(v)},{min(v)},{max(v)},{len(v)},"
                f"{units[(b, m, s)]}\n")
with open(os.path.join(OUT, "REPORT.md"), "w") as f:
    f.write("\n".join(md) + "\n")
print(f"report: {os.path.join(OUT, 'REPORT.md')}")
