"""Import benchmark: ForeignLog -> session file (mapping, conversion, checks, Parquet write).

Reading a file alone is timed by benchmarks/import_ld.py and import_csv.py. This times what
the importer adds on top, then the whole import of the same log written as a .ld (there
"convert s" is all of import_file: read_ld, convert and write). The log: ACC-named channels
(the acc-motec mapping) at two rates, 60 at 100 Hz and 40 at 20 Hz (100 channels, 29 of them
mapped), for 15 min, 1 h and 2 h of driving with a lap mark every 2 minutes. Last, the
whole import of MoTeC CSV exports (60 Hz, 62 columns, about 380 bytes a row: 15 min is 20 MB,
1 h 80 MB). Each size runs
in a fresh process; peak resident memory is that process's (``ru_maxrss``, the peak working
set on Windows: ``game.host.peak_rss_mb``), so it includes the log itself.

    .venv/bin/python benchmarks/import_convert.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, sys, time
from pathlib import Path
import numpy as np
from actelemetry.formats.log import ForeignLog, LogChannel
from actelemetry.game.host import peak_rss_mb
from actelemetry.imports.convert import convert
from actelemetry.imports.mapping import mapping_named
from actelemetry.store.session import write_session

minutes, out = float(sys.argv[1]), Path(sys.argv[2])
n100, n20 = int(minutes * 60 * 100), int(minutes * 60 * 20)
rng = np.random.default_rng(0)
log = ForeignLog(out.with_suffix(".ld"), "ld", lap_marks=list(np.arange(60.0, minutes * 60, 120.0)))
fast = ["SPEED", "THROTTLE", "BRAKE", "STEERANGLE", "RPMS"] + [
    f"{p}_{w}" for p in ("SUS_TRAVEL", "WHEEL_SPEED") for w in ("LF", "RF", "LR", "RR")]
fast += [f"EXTRA_FAST_{i}" for i in range(60 - len(fast))]
slow = ["GEAR", "G_LAT", "G_LON", "ROTY"] + [
    f"{p}_{w}" for p in ("BRAKE_TEMP", "TYRE_PRESS", "TYRE_TAIR") for w in ("LF", "RF", "LR", "RR")]
slow += [f"EXTRA_SLOW_{i}" for i in range(40 - len(slow))]
for name in fast:
    log.channels[name] = LogChannel(name, "", rng.normal(50, 10, n100), rate_hz=100.0)
for name in slow:
    log.channels[name] = LogChannel(name, "", rng.normal(5, 1, n20), rate_hz=20.0)
if sys.argv[3] == "csv":  # the whole import of a MoTeC CSV made by the exporter
    import importlib.util
    from actelemetry.formats.motec_csv import write_motec_csv
    from actelemetry.imports.files import import_file
    spec = importlib.util.spec_from_file_location(
        "import_csv", Path(sys.argv[4]) / "import_csv.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    src = write_motec_csv(out.with_suffix(".csv"), maker.make_log(int(minutes * 60 * 60)))
    t0 = time.perf_counter()
    path, summary, _ = import_file(src, out.parent)
    t2 = time.perf_counter()
    print(json.dumps({"rows": summary.rows, "convert_s": t2 - t0, "write_s": 0.0,
                      "mapped": len(summary.mapped),
                      "peak_mb": peak_rss_mb(),
                      "mb": src.stat().st_size / 1e6}))
    raise SystemExit
if sys.argv[3] == "ld":  # the whole import of a .ld: read, convert, write
    from actelemetry.formats.motec_ld import write_ld
    from actelemetry.imports.files import import_file
    write_ld(log.source, log)
    del log
    t0 = time.perf_counter()
    path, summary, _ = import_file(out.with_suffix(".ld"), out.parent)
    t2 = time.perf_counter()
    print(json.dumps({"rows": summary.rows, "convert_s": t2 - t0, "write_s": 0.0,
                      "mapped": len(summary.mapped),
                      "peak_mb": peak_rss_mb(),
                      "mb": path.stat().st_size / 1e6}))
    raise SystemExit
t0 = time.perf_counter()
imported = convert(log, mapping_named("acc-motec"))
t1 = time.perf_counter()
write_session(imported.columns, "acc", imported.meta, out, "parquet", only_present=True)
t2 = time.perf_counter()
print(json.dumps({"rows": len(imported.columns["timestamp"]), "convert_s": t1 - t0,
                  "write_s": t2 - t1, "mapped": len(imported.summary.mapped),
                  "peak_mb": peak_rss_mb(),
                  "mb": out.stat().st_size / 1e6}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 min and 1 h only")
    args = parser.parse_args()
    sizes = [15.0, 60.0] if args.quick else [15.0, 60.0, 120.0]
    for mode, title in (("log", "ForeignLog in memory -> convert, then write Parquet"),
                        ("ld", ".ld on disk -> import_file (read_ld + convert + write)"),
                        ("csv", "MoTeC CSV at 60 Hz (benchmarks/import_csv.py's log) -> "
                                "import_file; last column: the CSV's MB")):
        print(title)
        print(f"{'log':>8} {'rows':>9} {'channels':>8} {'convert s':>10} {'write s':>8} "
              f"{'peak MB':>8} {'MB':>10}")
        with tempfile.TemporaryDirectory() as tmp:
            for minutes in sizes:
                out = Path(tmp) / f"log_{int(minutes)}.parquet"
                proc = subprocess.run([sys.executable, "-c", CHILD, str(minutes), str(out),
                                       mode, str(Path(__file__).parent)],
                                      capture_output=True, text=True, check=True)
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                print(f"{int(minutes):>5} min {r['rows']:>9} {r['mapped']:>8} "
                      f"{r['convert_s']:>10.2f} {r['write_s']:>8.2f} {r['peak_mb']:>8.0f} "
                      f"{r['mb']:>10.1f}")


if __name__ == "__main__":
    main()
