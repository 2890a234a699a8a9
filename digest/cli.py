"""The commands. No pipeline logic here: parse arguments, call, turn a ``DigestError`` into one line.

Exit codes: 0 the command finished (feeds that failed are reported, not fatal); 2 a
``DigestError`` (broken config, unwritable output, busy store, a store that cannot be written);
3 ``send`` finished but some recipients were not delivered (refused, or still deferred);
1 is never used on purpose.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from digest import __version__
from digest.errors import DigestError

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERROR = 2  # a DigestError: one line on stderr
EXIT_UNDELIVERED = 3  # send: some recipients refused for good or still deferred


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.run(args))
    except DigestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest", description="Build the Online Abuse Policy Digest: a static site and a newsletter."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="fetch the feeds and build the site", description=_BUILD_HELP)
    _common(build)
    build.add_argument("--offline", action="store_true", help="fetch nothing: rebuild from the store")
    build.add_argument(
        "--timings", action="store_true", help="print each stage's wall time and CPU time at the end"
    )
    build.set_defaults(run=run_build)

    demo = commands.add_parser(
        "demo", help="serve the bundled sample feeds on 127.0.0.1 and build the site from them"
    )
    demo.add_argument("--out", type=Path, default=Path("site"), help="output folder (default: site)")
    demo.add_argument("--now", type=parse_now, help="fix the clock, e.g. 2026-11-22T12:00:00Z")
    demo.add_argument("--workdir", type=Path, default=Path(".digest/demo"), help="demo config and store")
    demo.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    demo.set_defaults(run=run_demo)

    serve = commands.add_parser("serve", help="preview a built site on 127.0.0.1")
    serve.add_argument("--dir", type=Path, default=Path("site"), help="folder to serve (default: site)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    serve.set_defaults(run=run_serve)

    send = commands.add_parser(
        "send", help="email an edition to the subscribers over SMTP", description=_SEND_HELP
    )
    send.add_argument(
        "--config", type=Path, default=Path("digest.toml"), help="config file (default: digest.toml)"
    )
    send.add_argument("--edition", default="latest", help="edition key, e.g. 2026-W47 (default: latest)")
    send.add_argument("--to", type=Path, required=True, help="subscriber list: CSV with an 'email' column")
    send.add_argument("--site", type=Path, default=Path("site"), help="the built site (default: site)")
    send.add_argument(
        "--dry-run",
        nargs="?",
        const=Path("outbox"),
        type=Path,
        metavar="FOLDER",
        help="write the messages into FOLDER (default: outbox) instead of sending them",
    )
    send.add_argument(
        "--now", type=parse_now, help="fix the clock (the Date header), e.g. 2026-11-22T12:00:00Z"
    )
    send.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    send.set_defaults(run=run_send)
    return parser


_BUILD_HELP = (
    "Fetch every configured feed, extract the articles, keep those on online-abuse policy, group "
    "them into stories and editions, and publish the site into --out (swapped in whole)."
)

_SEND_HELP = (
    "Send the built edition (editions/<key>/edition.eml in --site) to every subscriber, each with a "
    "personal unsubscribe link, over the SMTP server of the [email] table. Every delivery is recorded "
    "in the store: a run that is interrupted and started again sends to each remaining subscriber once. "
    "Exit code 3 when some subscribers were not delivered (refused for good, or still deferred: "
    "run it again later to retry those); 2 when sending could not start."
)


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--config", type=Path, default=Path("digest.toml"), help="config file (default: digest.toml)"
    )
    command.add_argument("--out", type=Path, default=Path("site"), help="output folder (default: site)")
    command.add_argument("--now", type=parse_now, help="fix the clock, e.g. 2026-11-22T12:00:00Z")
    command.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def parse_now(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _now(args: argparse.Namespace) -> datetime:
    return args.now or datetime.now(UTC).replace(microsecond=0)


def run_build(args: argparse.Namespace) -> int:
    from digest.config import load_config
    from digest.pipeline import BuildOptions, build
    from digest.report import print_report, progress_bar
    from digest.store import Store
    from digest.timings import Stopwatch

    stopwatch = Stopwatch() if getattr(args, "timings", False) else None
    config = load_config(args.config)
    with (
        Store.open(config.resolve(config.store.path)) as store,
        progress_bar(sys.stderr.isatty()) as progress,
    ):
        options = BuildOptions(
            out_dir=args.out, now=_now(args), progress=progress, offline=args.offline, stopwatch=stopwatch
        )
        report = build(config, store, options)
    print_report(report)
    print(f"site written to {args.out}/", file=sys.stderr)
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from digest.sample.server import SampleServer, write_config

    now = _now(args)
    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "digest.toml"
    with SampleServer(now=now) as server:
        write_config(config_path, server.base_url, (workdir / "digest.sqlite").absolute())
        print(f"serving the sample feeds at {server.base_url}", file=sys.stderr)
        (workdir / "digest.sqlite").unlink(missing_ok=True)  # a demo always starts from an empty store
        args.config, args.offline = config_path, False
        args.now = now
        run_build(args)
    print(
        f"preview: make serve, then open http://127.0.0.1:8000/ (or open {args.out}/index.html)",
        file=sys.stderr,
    )
    return 0


def run_serve(args: argparse.Namespace) -> int:
    import functools
    import http.server

    if not args.dir.is_dir():
        raise DigestError(f"{args.dir}: no site here yet (run 'make demo' or 'make site' first)")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(args.dir))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"serving {args.dir}/ at http://127.0.0.1:{args.port}/ (Ctrl-C stops)", file=sys.stderr)
        server.serve_forever()
    return 0


def run_send(args: argparse.Namespace) -> int:
    from digest.config import load_config
    from digest.send import SendOptions, send_from_site

    config = load_config(args.config)
    options = SendOptions(edition=args.edition, site_dir=args.site, now=args.now, dry_run_dir=args.dry_run)
    report = send_from_site(config, args.to, options)
    for line in report.lines():
        print(line, file=sys.stderr)
    return EXIT_UNDELIVERED if report.undelivered else EXIT_OK
