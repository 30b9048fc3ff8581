"""Where model-written code runs: a bubblewrap sandbox, or (opted out) the host.

Rules
-----
* Sandbox mode (the default) starts each block under ``bwrap`` (bubblewrap,
  the Debian/Ubuntu package ``bubblewrap``) with new user, pid, network, ipc,
  uts and cgroup namespaces, all capabilities dropped, ``--die-with-parent`` and
  ``--new-session``. Inside, the system (``/usr``, ``/bin``, ``/lib*``, a few
  harmless files of ``/etc``, and the Python installation running fsmchat) is
  mounted read-only; ``/tmp`` is a fresh tmpfs of at most ``tmp_mb`` MiB
  (``--size``, bubblewrap 0.8 or later: the probe checks it), ``/dev`` and ``/proc`` are
  minimal and the pid namespace's own; the work dir is the only writable place
  and also ``HOME``.
* The environment is built from an allow-list — ``PATH``, ``LANG``, ``HOME``
  (the work dir) and ``TMPDIR``, plus what the user passes with ``env=`` —
  and ``bwrap`` itself is *started* with that environment, so no process in the
  sandbox can read a parent secret, not even through ``/proc/<pid>/environ``
  (the parent's pid is not visible in the sandbox's pid namespace anyway).
* When the block's main process ends, or its time is up, the pid namespace's
  first process exits and the kernel kills every process left in the
  namespace: ``setsid``, double forks and ``nohup`` cannot outlive a block.
* Processes are limited to ``max_processes`` (``RLIMIT_NPROC``, set inside the
  sandbox with ``prlimit``). The kernel does not apply that limit to root, and
  a user namespace made by root maps to root, so when fsmchat runs as root
  ``bwrap`` makes the pid/net/ipc/uts/mount namespaces without a user namespace
  and the block starts through ``setpriv`` as ``nobody`` (uid 65534) with no
  capabilities and ``no_new_privs``; ``nobody`` then owns the work dir. As a
  regular user, ``bwrap`` adds a user namespace and drops all capabilities.
* Where ``bwrap`` is missing or cannot create namespaces, local execution is
  refused with :class:`~fsmchat.CodeRunError` naming the fix, unless the user
  opted out (``sandbox=False``): then one warning per process says the code runs
  on the host as the user, and the host environment minus secrets
  (:func:`scrub_env`, a deny-list) is passed on.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from fsmchat._core.errors import CodeRunError

__all__ = [
    "NOBODY",
    "SECRET_MARKERS",
    "bwrap_argv",
    "check_sandbox",
    "run_as_nobody",
    "sandbox_env",
    "scrub_env",
    "warn_host_mode",
]

_LOG = logging.getLogger("fsmchat")

#: Name fragments (case-insensitive) of host variables never passed to host-mode code.
SECRET_MARKERS = (
    "KEY",
    "TOKEN",
    "SECRET",
    "PASS",  # PASSWORD, PASSWD, PASSPHRASE, DB_PASS
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
    "JWT",
    "DSN",
    "WEBHOOK",
    "COOKIE",
    "SESSION",
    "SIGNATURE",
    "CONFIG_LIST",  # OAI_CONFIG_LIST: model endpoints with their keys
    "CERT",
    "SALT",
)
# A URL carrying credentials: user:password@, :password@ (Redis), or a secret
# in the query string; well-known webhook hosts whose URL is the secret.
_SECRET_VALUE = re.compile(
    r"[a-z][a-z0-9+.-]*://[^/\s@]*:[^/\s@]*@"
    r"|[?&](?:token|key|api[_-]?key|access[_-]?token|sig|signature|secret|password|auth)="
    r"|hooks\.slack\.com/|discord(?:app)?\.com/api/webhooks|webhook\.office\.com"
    r"|\"api_key\"\s*:",
    re.I,
)
NOBODY = 65534
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = (
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/ssl/certs",
    "/etc/ca-certificates",
    "/etc/mime.types",
)
_PATH = "/usr/local/bin:/usr/bin:/bin"
_INSTALL_HINT = (
    "install bubblewrap (apt-get install bubblewrap; dnf install bubblewrap), "
    "or run code in Docker (code_execution_config={'use_docker': True}), or opt "
    "out explicitly with code_execution_config={'sandbox': False} "
    "(LocalCodeRunner(sandbox=False)) to run model-written code on the host as you"
)


def scrub_env(env: Mapping[str, str]) -> dict[str, str]:
    """Return ``env`` without secrets: the deny-list of host mode.

    A variable is dropped when its name contains one of :data:`SECRET_MARKERS`
    or its value holds credentials (a URL with a password or a secret query
    parameter, a webhook URL, a JSON config with ``"api_key"``).

    Returns:
        A new dict holding every variable of ``env`` that is not a secret.
    """
    out = {}
    for name, value in env.items():
        upper = name.upper()
        if any(marker in upper for marker in SECRET_MARKERS):
            continue
        if _SECRET_VALUE.search(value):
            continue
        out[name] = value
    return out


def sandbox_env(
    work_dir: Path, extra: Mapping[str, str], *, python: str
) -> dict[str, str]:
    """The whole environment of a sandboxed block (an allow-list, nothing inherited)."""
    lang = os.environ.get("LANG") or "C.UTF-8"
    path = f"{os.path.dirname(python)}:{_PATH}"
    env = {"PATH": path, "LANG": lang, "HOME": str(work_dir), "TMPDIR": "/tmp"}
    env.update(extra)
    return env


def _python_dirs(python: str) -> list[str]:
    """Read-only directories a block needs to run ``python`` (venv and base install)."""
    real = os.path.realpath(python)
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(python)}
    dirs.add(os.path.dirname(os.path.dirname(real)))
    return sorted(d for d in dirs if d and os.path.isdir(d) and d != "/")


def bwrap_argv(
    bwrap: str,
    work_dir: Path,
    env: Mapping[str, str],
    command: Sequence[str],
    *,
    python: str,
    max_processes: int,
    tmp_bytes: int | None = None,
) -> list[str]:
    """The ``bwrap`` command line that runs ``command`` sandboxed (see the rules).

    As a regular user ``bwrap`` adds a user namespace and drops every
    capability. As root it creates the other namespaces itself and the command
    starts through ``setpriv`` as ``nobody`` with no capabilities and
    ``no_new_privs`` (root is exempt from the process limit; see the rules).
    """
    root = run_as_nobody()
    argv = [bwrap]
    if not root:
        argv += ["--unshare-user", "--cap-drop", "ALL"]
    argv += [
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
    ]
    for d in _SYSTEM_DIRS:
        if os.path.islink(d):
            argv += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            argv += ["--ro-bind", d, d]
    for f in _ETC_FILES:
        if os.path.exists(f):
            argv += ["--ro-bind", f, f]
    argv += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777"]
    if tmp_bytes is not None:
        argv += ["--size", str(tmp_bytes)]  # bubblewrap >= 0.8; probed by check_sandbox
    argv += ["--tmpfs", "/tmp"]
    work = str(work_dir.resolve())
    for d in [*_python_dirs(python), work]:
        argv += _parents(d)
        argv += ["--bind" if d == work else "--ro-bind", d, d]
    argv += ["--chdir", work, "--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv.append("--")
    if root:
        argv += [*_SETPRIV, "--"]
    n = str(max_processes)
    argv += [shutil.which("prlimit") or "/usr/bin/prlimit", f"--nproc={n}:{n}", "--"]
    return [*argv, *command]


_SETPRIV = (
    shutil.which("setpriv") or "/usr/bin/setpriv",
    f"--reuid={NOBODY}",
    f"--regid={NOBODY}",
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
)
_OWN_MOUNTS = ("/usr", "/proc", "/dev", "/bin", "/sbin", "/lib", "/lib32", "/lib64")


def _parents(path: str) -> list[str]:
    """``--dir`` the ancestors of ``path`` traversable (``/root`` is 0700 outside)."""
    out: list[str] = []
    parts = Path(path).parts[1:-1]
    for i in range(len(parts)):
        d = "/" + "/".join(parts[: i + 1])
        inside = any(d == m or d.startswith(m + "/") for m in _OWN_MOUNTS)
        if d != "/tmp" and not inside:
            out += ["--perms", "0755", "--dir", d]
    return out


def run_as_nobody() -> bool:
    """True when blocks must drop to ``nobody`` (fsmchat runs as root, see the rules)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


@functools.cache
def _probe(bwrap: str) -> str | None:
    """Why ``bwrap`` cannot sandbox here, or ``None`` when it can (asked once)."""
    true = "/bin/true" if os.path.exists("/bin/true") else "/usr/bin/true"
    argv = [bwrap]
    if not run_as_nobody():
        argv += ["--unshare-user", "--cap-drop", "ALL"]
    argv += ["--unshare-pid", "--unshare-net", "--die-with-parent"]
    argv += ["--ro-bind", "/", "/", "--proc", "/proc", "--size", "65536"]
    argv += ["--tmpfs", "/tmp", "--"]
    argv += [*_SETPRIV, "--", true] if run_as_nobody() else [true]
    try:
        done = subprocess.run(
            argv,
            env={"PATH": _PATH},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{bwrap} could not be started: {exc}"
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()
        return f"{bwrap} cannot create namespaces here ({why[-1] if why else done.returncode})"
    if shutil.which("prlimit") is None:
        return (
            "the 'prlimit' program (util-linux) is missing: it sets the process limit"
        )
    return None


def check_sandbox(bwrap: str = "bwrap") -> str:
    """Return the path of a working ``bwrap``.

    Raises:
        CodeRunError: bubblewrap is missing or cannot sandbox here; the message
            says how to fix it or opt out.
    """
    exe = shutil.which(bwrap)
    if exe is None:
        msg = f"model-written code runs in a bubblewrap sandbox, but {bwrap!r} is not on PATH: {_INSTALL_HINT}"
        raise CodeRunError(msg)
    problem = _probe(exe)
    if problem is not None:
        msg = f"model-written code runs in a bubblewrap sandbox, but {problem}: {_INSTALL_HINT}"
        raise CodeRunError(msg)
    return exe


_WARNED: list[bool] = []


def warn_host_mode() -> None:
    """Log, once per process, that code runs unsandboxed on the host."""
    if _WARNED:
        return
    _WARNED.append(True)
    _LOG.warning(
        "code sandbox disabled (sandbox=False): model-written code runs on the host "
        "as %s, with your files and network; only secret-looking environment "
        "variables are removed",
        _user(),
    )


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # pragma: no cover - not POSIX / no passwd entry
        return "your user"
