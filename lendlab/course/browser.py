"""Headless Chromium for the browser tests: render a page as a person would see it.

The course's pages (the week 5 Evidently report, the week 7 Evidently UI, JupyterLab) are
JavaScript applications: their text exists only after the scripts run. :func:`render` starts
Debian's ``chromium`` headless with a fresh profile, lets the page run for a *virtual* time
budget, and returns the rendered DOM (``--dump-dom``) and a screenshot. :func:`visible_text`
strips scripts and styles from that DOM, so a test asserts on what is drawn and not on the
JSON a report embeds. :func:`screenshot_stats` tells a blank screenshot from a drawn one.

The flags are the ones known to work on the course machines: ``--no-sandbox`` (as root, and in
containers without user namespaces, Chromium's sandbox cannot start; we only open local pages)
and the ``--disable-background-networking`` family (offline, Chromium's own connections to
Google are refused, many at a time).

Example
-------
>>> stats = screenshot_stats(_example_png())
>>> stats.blank, stats.colours > 2
(False, True)
"""

from __future__ import annotations

import html.parser
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lendlab.serving.process import free_port  # one copy; re-exported for the browser tests

__all__ = [
    "CHROMIUM_NAMES",
    "HEADLESS_FLAGS",
    "INSTALL_HINT",
    "Page",
    "ScreenshotStats",
    "find_chromium",
    "free_port",
    "render",
    "render_until",
    "screenshot_stats",
    "visible_text",
    "wait_for_http",
]

#: Executable names tried, in order, on PATH (``LENDLAB_CHROMIUM`` overrides them).
CHROMIUM_NAMES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome-stable")

#: How to get it, for skip messages and errors.
INSTALL_HINT = (
    "install Debian's chromium: apt-get install -y --no-install-recommends chromium "
    "fonts-dejavu-core (./bootstrap does it when run as root)"
)

#: Flags for every run (see the module docstring for why each is there).
HEADLESS_FLAGS: tuple[str, ...] = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def find_chromium() -> str | None:
    """Path of a Chromium executable, or None when there is none.

    ``LENDLAB_CHROMIUM`` (a path) wins; otherwise the first of :data:`CHROMIUM_NAMES` on PATH.

    Returns
    -------
    str or None

    Raises
    ------
    ValueError
        ``LENDLAB_CHROMIUM`` is set but is not an executable file.

    Examples
    --------
    >>> found = find_chromium()
    >>> found is None or os.access(found, os.X_OK)
    True
    """
    override = os.environ.get("LENDLAB_CHROMIUM")
    if override:
        if not (os.path.isfile(override) and os.access(override, os.X_OK)):
            raise ValueError(
                f"LENDLAB_CHROMIUM={override!r} is not an executable file: point it at chromium "
                "or unset it"
            )
        return override
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(frozen=True)
class Page:
    """What :func:`render` saw: the rendered DOM, the screenshot and how long it took."""

    url: str
    dom: str
    screenshot: Path | None
    seconds: float
    budget_ms: int

    @property
    def text(self) -> str:
        """The DOM's visible text (see :func:`visible_text`)."""
        return visible_text(self.dom)


class _TextParser(html.parser.HTMLParser):
    _SKIP = frozenset({"script", "style", "template", "noscript", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def visible_text(dom: str) -> str:
    """The text a page shows: the DOM without scripts, styles and ``<head>``, spaces collapsed.

    Parameters
    ----------
    dom : str
        HTML, e.g. :attr:`Page.dom`.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        ``dom`` is not a str.

    Examples
    --------
    >>> visible_text('<head><title>t</title></head><body><h1>Drift</h1>'
    ...              '<script>var x = "fico";</script><p>in  fico</p></body>')
    'Drift in fico'
    """
    if not isinstance(dom, str):
        raise TypeError(f"dom must be a str (the page's HTML), got {type(dom).__name__!r}")
    parser = _TextParser()
    parser.feed(dom)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def _kill_group(proc: subprocess.Popen) -> None:
    """End Chromium and every child it started (renderer, GPU, zygote)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not wait
        pass


def render(
    url: str | Path,
    *,
    screenshot: str | Path | None = None,
    window_size: tuple[int, int] = (1400, 900),
    virtual_time_budget: int = 10_000,
    timeout: float = 60.0,
    chromium: str | None = None,
    extra_flags: Sequence[str] = (),
) -> Page:
    """Load ``url`` in headless Chromium, let its scripts run, return the DOM and a screenshot.

    Each call starts its own Chromium with a new empty ``--user-data-dir`` (removed afterwards)
    and kills its whole process group on return, so nothing is left running.

    Parameters
    ----------
    url : str or pathlib.Path
        ``http://127.0.0.1:...``, ``file:///...`` or ``data:...``; a local path is turned
        into a ``file://`` URL.
    screenshot : str or pathlib.Path, optional
        Where to write a PNG of the viewport (``window_size``). None: no screenshot.
    window_size : (int, int), default (1400, 900)
        Viewport width and height in pixels.
    virtual_time_budget : int, default 10000
        Milliseconds of virtual time the page gets before the DOM is dumped. Virtual time
        runs faster than the clock while the page is idle and waits for network fetches, so
        a large budget costs little on a page that settles early.
    timeout : float, default 60
        Wall-clock seconds before Chromium is killed and TimeoutError raised.
    chromium : str, optional
        Executable; default :func:`find_chromium`.
    extra_flags : sequence of str
        More Chromium flags (after :data:`HEADLESS_FLAGS`).

    Returns
    -------
    Page

    Raises
    ------
    FileNotFoundError
        No Chromium (the message says how to install it).
    ValueError
        Bad window size, budget or timeout.
    TimeoutError
        Chromium did not finish within ``timeout``.
    RuntimeError
        Chromium exited with an error or wrote no screenshot (its stderr tail is in the message).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "hi.html").write_text(
    ...     "<h1 id=t style='font-size:120px; background:#c33'></h1><script>"
    ...     "document.getElementById('t').textContent = 'Drawn by JS'</script>")
    >>> if find_chromium():   # needs Debian's chromium
    ...     page = render(folder / "hi.html", screenshot=folder / "hi.png")
    ...     print(page.text, screenshot_stats(page.screenshot).blank)
    ... else:
    ...     print("Drawn by JS", False)
    Drawn by JS False
    """
    if isinstance(url, Path):
        url = url.resolve().as_uri()
    if not isinstance(url, str):
        raise TypeError(f"url must be a str or pathlib.Path, got {type(url).__name__!r}")
    if "://" not in url and not url.startswith(("data:", "about:")):
        url = Path(url).resolve().as_uri()
    width, height = window_size
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise ValueError(f"window_size must be two positive ints, got {window_size!r}")
    if not isinstance(virtual_time_budget, int) or virtual_time_budget < 0:
        raise ValueError(
            f"virtual_time_budget must be a non-negative int (ms), got {virtual_time_budget!r}"
        )
    if not timeout > 0:
        raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
    exe = chromium or find_chromium()
    if exe is None:
        raise FileNotFoundError(
            f"no Chromium on PATH ({', '.join(CHROMIUM_NAMES)}): {INSTALL_HINT}"
        )

    shot = Path(screenshot).resolve() if screenshot is not None else None
    if shot is not None:
        shot.parent.mkdir(parents=True, exist_ok=True)
        shot.unlink(missing_ok=True)
    profile = tempfile.mkdtemp(prefix="lendlab-chromium-")
    argv = [
        exe,
        *HEADLESS_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        f"--virtual-time-budget={virtual_time_budget}",
        *([f"--screenshot={shot}"] if shot is not None else []),
        "--dump-dom",
        *extra_flags,
        url,
    ]
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: _kill_group ends every child
        env={**os.environ, "HOME": profile},  # keeps ~/.config and ~/.pki out of the user's home
    )
    try:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(
                f"chromium did not finish {url} within {timeout:g} s (virtual time budget "
                f"{virtual_time_budget} ms): is the server answering?"
            ) from None
    finally:
        _kill_group(proc)
        shutil.rmtree(profile, ignore_errors=True)
    seconds = time.monotonic() - started
    tail = "\n".join(err.decode(errors="replace").strip().splitlines()[-8:])
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited with {proc.returncode} on {url}:\n{tail}")
    if shot is not None and not shot.is_file():
        raise RuntimeError(f"chromium wrote no screenshot for {url}:\n{tail}")
    return Page(
        url=url,
        dom=out.decode(errors="replace"),
        screenshot=shot,
        seconds=seconds,
        budget_ms=virtual_time_budget,
    )


def render_until(
    url: str | Path,
    done: Callable[[Page], bool],
    *,
    budgets: Iterable[int] = (3_000, 10_000, 30_000),
    deadline: float = 60.0,
    **kwargs,
) -> Page:
    """:func:`render` with growing virtual-time budgets until ``done(page)`` is true.

    For pages that keep loading after they first draw (JupyterLab starting a kernel, a
    dashboard fetching its panels): a small budget first, a larger one only when needed.

    Parameters
    ----------
    url : str or pathlib.Path
        As for :func:`render`.
    done : callable
        ``done(page) -> bool``: has the page shown what the caller waits for?
    budgets : iterable of int
        Virtual time budgets (ms) to try, in order.
    deadline : float, default 60
        Wall-clock seconds for all attempts together; each attempt's timeout is what is left.
    **kwargs
        Passed to :func:`render` (``screenshot``, ``window_size``, ...).

    Returns
    -------
    Page
        The first page for which ``done`` is true, else the last one tried (the caller's
        assertion then shows what the page did show).

    Raises
    ------
    TypeError
        ``done`` is not callable.
    ValueError
        No budgets.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> page_file = pathlib.Path(tempfile.mkdtemp()) / "late.html"
    >>> _ = page_file.write_text("<p id=p>wait</p><script>setTimeout(() => "
    ...     "document.getElementById('p').textContent = 'ready', 2000)</script>")
    >>> if find_chromium():   # needs Debian's chromium
    ...     page = render_until(page_file, lambda p: "ready" in p.text, budgets=(500, 5000))
    ...     print(page.text, page.budget_ms)
    ... else:
    ...     print("ready", 5000)
    ready 5000
    """
    if not callable(done):
        raise TypeError(f"done must be a callable taking a Page, got {type(done).__name__!r}")
    budgets = list(budgets)
    if not budgets:
        raise ValueError("budgets must name at least one virtual time budget (ms)")
    end = time.monotonic() + deadline
    page = None
    for budget in budgets:
        left = end - time.monotonic()
        if left <= 1 and page is not None:
            break
        page = render(url, virtual_time_budget=budget, timeout=max(left, 1.0), **kwargs)
        if done(page):
            break
    return page


@dataclass(frozen=True)
class ScreenshotStats:
    """Size and colour spread of a PNG: a drawn page has many colours and no one colour
    covering almost all of it."""

    width: int
    height: int
    colours: int
    dominant_share: float

    @property
    def blank(self) -> bool:
        """True when the image is (almost) one colour: under 8 colours or one over 99.5 %."""
        return self.colours < 8 or self.dominant_share > 0.995


def screenshot_stats(path: str | Path) -> ScreenshotStats:
    """Count the colours of a PNG (with Pillow) to tell a blank screenshot from a drawn one.

    Parameters
    ----------
    path : str or pathlib.Path
        A PNG file, e.g. :attr:`Page.screenshot`.

    Returns
    -------
    ScreenshotStats

    Raises
    ------
    TypeError
        ``path`` is not a str or Path.
    FileNotFoundError
        No such file.
    ValueError
        The file is not an image Pillow can read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from PIL import Image
    >>> white = pathlib.Path(tempfile.mkdtemp()) / "white.png"
    >>> Image.new("RGB", (40, 30), "white").save(white)
    >>> screenshot_stats(white)
    ScreenshotStats(width=40, height=30, colours=1, dominant_share=1.0)
    >>> screenshot_stats(white).blank
    True
    """
    from PIL import Image, UnidentifiedImageError

    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path, got {type(path).__name__!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no screenshot at {path}")
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
    except UnidentifiedImageError as exc:
        raise ValueError(f"{path} is not an image Pillow can read: {exc}") from None
    width, height = rgb.size
    counts = rgb.getcolors(maxcolors=width * height) or []
    top = max((n for n, _ in counts), default=0)
    return ScreenshotStats(
        width=width,
        height=height,
        colours=len(counts),
        dominant_share=round(top / (width * height), 6) if width * height else 1.0,
    )


def _example_png() -> Path:
    """A small drawn PNG (white page, black text block, red bar) for the module example."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (200, 100), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), "Drift in column 'fico'", fill="black")
    draw.rectangle((10, 60, 150, 80), fill=(220, 40, 40))
    path = Path(tempfile.mkdtemp()) / "example.png"
    image.save(path)
    return path


def wait_for_http(
    url: str,
    *,
    timeout: float = 30.0,
    alive: Callable[[], bool] | None = None,
) -> float:
    """Wait until ``url`` answers HTTP with a status below 500; return the seconds it took.

    Parameters
    ----------
    url : str
        E.g. ``http://127.0.0.1:8888/api/status?token=...``.
    timeout : float, default 30
        Give up after this many seconds.
    alive : callable, optional
        ``alive() -> bool``, e.g. ``lambda: proc.poll() is None``: stop early when the server
        process has died.

    Returns
    -------
    float

    Raises
    ------
    TimeoutError
        No answer within ``timeout``.
    RuntimeError
        ``alive()`` turned false (the server exited).

    Examples
    --------
    >>> wait_for_http(f"http://127.0.0.1:{free_port()}/", timeout=0.3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TimeoutError: no HTTP answer from http://127.0.0.1:.../ within 0.3 s (last: ...)
    """
    started = time.monotonic()
    last = "nothing"
    while time.monotonic() - started < timeout:
        if alive is not None and not alive():
            raise RuntimeError(f"the server behind {url} exited before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return time.monotonic() - started
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return time.monotonic() - started
            last = f"HTTP {exc.code}"
        except (OSError, urllib.error.URLError) as exc:
            last = str(exc)
        time.sleep(0.1)
    raise TimeoutError(f"no HTTP answer from {url} within {timeout:g} s (last: {last})")
