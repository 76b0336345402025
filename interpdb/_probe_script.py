"""The probe: runs inside the interpreter being probed and prints one JSON document.

interpdb passes this file's source with ``-E -c`` so nothing of interpdb's own
location leaks onto the target's ``sys.path``. It must parse and run on CPython
2.7 and every Python 3 since 3.6, PyPy and GraalPy: no f-strings, no annotations,
no walrus, no imports beyond the standard library, and every newer attribute is
read with ``getattr``. It never writes anything; it only looks.

Its output keys are the contract with ``interpdb.probe``; bump PROBE_FORMAT when
their meaning changes. (The hash of this whole file is part of every fingerprint,
so any edit re-probes stored interpreters anyway.)
"""

import sys

# What site imported before this script ran (.pth ``import`` lines, sitecustomize):
# taken before the probe's own imports, which would blur it.
_LOADED_AT_START = [getattr(module, "__file__", None) for module in list(sys.modules.values())]

# interpdb runs this with `-c`, which puts '' (the working directory) first on sys.path
# once site is done. Off it comes before the probe's own imports: a struct.py or json.py
# that another probe left in the folder must not answer for the standard library (nor
# is '' part of the interpreter's sys.path as anything but `-c` sees it).
if sys.path and sys.path[0] == "" and sys.argv[:1] == ["-c"]:
    del sys.path[0]

import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import struct  # noqa: E402

PROBE_FORMAT = 1


def _text(value):
    if value is None:
        return None
    if isinstance(value, bytes) and not isinstance(value, str):
        return value.decode("utf-8", "surrogateescape" if sys.version_info[0] >= 3 else "replace")
    return value


def _sysconfig():
    try:
        import sysconfig
    except ImportError:  # pragma: no cover - every supported Python has it
        return None
    return sysconfig


def _config_var(name):
    sysconfig = _sysconfig()
    if sysconfig is None:
        return None
    try:
        return sysconfig.get_config_var(name)
    except Exception:
        return None


def _sys_path():
    return list(sys.path)  # without the '' of `-c` (see the top)


def _site_packages():
    found = []

    def add(path):
        if path and path not in found:
            found.append(path)

    sysconfig = _sysconfig()
    if sysconfig is not None:
        for key in ("purelib", "platlib"):
            try:
                add(sysconfig.get_path(key))
            except Exception:
                pass
    import site

    getter = getattr(site, "getsitepackages", None)
    if getter is not None:
        try:
            for path in getter():
                add(path)
        except Exception:
            pass
    return found


def _user_site():
    import site

    user_site = getattr(site, "USER_SITE", None)
    user_base = getattr(site, "USER_BASE", None)
    if user_site is None and hasattr(site, "getusersitepackages"):
        try:
            user_site = site.getusersitepackages()
        except Exception:
            user_site = None
    if user_base is None and hasattr(site, "getuserbase"):
        try:
            user_base = site.getuserbase()
        except Exception:
            user_base = None
    enabled = getattr(site, "ENABLE_USER_SITE", None)
    return user_site, user_base, enabled


def _implementation():
    impl = getattr(sys, "implementation", None)
    if impl is not None:
        name = impl.name
        v = impl.version
        version = "%d.%d.%d" % (v[0], v[1], v[2])
        if v[3] != "final":
            version += {"alpha": "a", "beta": "b", "candidate": "rc"}.get(v[3], v[3]) + str(v[4])
    else:
        name = platform.python_implementation().lower()
        version = platform.python_version()
        if name == "pypy":
            pv = getattr(sys, "pypy_version_info", None)
            if pv is not None:
                version = "%d.%d.%d" % (pv[0], pv[1], pv[2])
    return name, version


def _marker_implementation():
    """``implementation_name`` / ``implementation_version`` as packaging computes them.

    From ``sys.implementation`` alone (a pre-release as ``c1``, not ``rc1``: packaging takes
    the first letter of the release level); an interpreter without it (Python 2.7,
    PyPy 2) gets ``''`` and ``'0'``, which is what its own pip evaluates markers with.
    """
    impl = getattr(sys, "implementation", None)
    if impl is None:
        return "", "0"
    v = impl.version
    version = "%d.%d.%d" % (v[0], v[1], v[2])
    if v[3] != "final":
        version += v[3][0] + str(v[4])
    return impl.name, version


def _markers():
    # PEP 508: the names a requirement's environment marker may use, with the values
    # packaging.markers.default_environment() gives inside this interpreter.
    impl_name, impl_version = _marker_implementation()
    return {
        "implementation_name": impl_name,
        "implementation_version": impl_version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


_GLIBC = []


def _glibc_version():
    """``("glibc", "2.36")``, or ``(None, None)`` elsewhere; asked once per probe."""
    if not _GLIBC:
        _GLIBC.append(_ask_glibc_version())
    return _GLIBC[0]


def _ask_glibc_version():
    confstr = getattr(os, "confstr", None)
    if confstr is not None:
        try:
            value = confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.36"
            if value:
                name, version = value.split()
                return name, version
        except (ValueError, OSError, AttributeError):
            pass
    try:  # Python 2.7 has no CS_GNU_LIBC_VERSION: ask glibc itself.
        import ctypes

        getter = ctypes.CDLL(None).gnu_get_libc_version
        getter.restype = ctypes.c_char_p
        version = getter()
        if not isinstance(version, str):
            version = version.decode("ascii")
        return "glibc", version
    except (ImportError, OSError, AttributeError, ValueError):
        return None, None


def _libc():
    """libc's name, version and the file mapped: an upgrade changes the manylinux tags."""
    found = _libc_name_version()
    found["path"] = _mapped(("libc.so", "libc-", "ld-musl"))
    return found


def _libc_name_version():
    name, version = _glibc_version()
    if name is None:
        try:
            lib, ver = platform.libc_ver()
        except Exception:
            lib, ver = "", ""
        if lib:
            name, version = lib, ver
    if name is None and sys.platform.startswith("linux"):
        # musl has no confstr entry; its loader names itself.
        try:
            for entry in os.listdir("/lib"):
                if entry.startswith("ld-musl-"):
                    return {"name": "musl", "version": None}
        except OSError:
            pass
    return {"name": name, "version": version}


def _manylinux(arch, pointer_size):
    """Which manylinux tags this interpreter accepts, as PEP 600 decides it.

    A ``_manylinux`` module importable from sys.path overrides the answer per tag
    (``manylinux_compatible``) or through the legacy ``manylinuxNNNN_compatible``
    attributes; the ``no-manylinux`` package is such a module.
    """
    result = {"glibc": None, "arch": arch, "tags": [], "override": None}
    if not sys.platform.startswith("linux"):
        return result
    name, version = _glibc_version()
    if name != "glibc" or not version:
        return result
    try:
        major, minor = [int(part) for part in version.split(".")[:2]]
    except ValueError:
        return result
    result["glibc"] = "%d.%d" % (major, minor)
    if arch == "x86_64" and pointer_size == 32:
        arch = "i686"
    elif arch == "aarch64" and pointer_size == 32:
        arch = "armv7l"
    result["arch"] = arch
    override = None
    try:
        import _manylinux as override  # noqa: F401 - the point is the import

        result["override"] = getattr(override, "__file__", None) or "<built-in>"
    except ImportError:
        override = None
    except Exception as error:  # a broken override module is itself a fact
        result["override"] = "error: %s" % (error,)
        override = None
    legacy = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
    lowest = 17 if arch not in ("x86_64", "i686") else 5
    for glibc_minor in range(minor, lowest - 1, -1):
        allowed = True
        if override is not None:
            check = getattr(override, "manylinux_compatible", None)
            if check is not None:
                verdict = check(major, glibc_minor, arch)
                if verdict is not None:
                    allowed = bool(verdict)
            elif (major, glibc_minor) in legacy:
                flag = getattr(override, legacy[(major, glibc_minor)] + "_compatible", None)
                if flag is not None:
                    allowed = bool(flag)
        if allowed:
            result["tags"].append("manylinux_%d_%d_%s" % (major, glibc_minor, arch))
            if (major, glibc_minor) in legacy:
                result["tags"].append("%s_%s" % (legacy[(major, glibc_minor)], arch))
    return result


_MAPS = []


def _mapped_files():
    """Files this process has mapped (Linux ``/proc/self/maps``), in load order, read once."""
    if not _MAPS:
        _MAPS.append([])
        try:
            with open("/proc/self/maps") as maps:
                for line in maps:
                    parts = line.split(None, 5)
                    if len(parts) == 6:
                        path = parts[5].strip()
                        if path.startswith("/") and path not in _MAPS[0]:
                            _MAPS[0].append(path)
        except (IOError, OSError):
            pass
    return _MAPS[0]


def _mapped(prefixes):
    for path in _mapped_files():
        base = os.path.basename(path)
        if base.startswith(prefixes) and ".so" in base:
            return path
    return None


def _libpython():
    """The shared libpython (or PyPy's libpypy) this process really mapped."""
    found = _mapped(("libpython", "libpypy"))
    if found is not None or not _config_var("Py_ENABLE_SHARED"):
        return found
    soname = _config_var("INSTSONAME") or _config_var("LDLIBRARY")
    libdir = _config_var("LIBDIR")
    if soname and libdir:
        candidate = os.path.join(libdir, soname)
        if os.path.exists(candidate):
            return candidate
    return None


def _pyvenv_cfg():
    for folder in (os.path.dirname(sys.executable), os.path.dirname(os.path.dirname(sys.executable))):
        path = os.path.join(folder, "pyvenv.cfg")
        if os.path.isfile(path):
            values = {}
            try:
                with open(path) as handle:
                    for line in handle:
                        if "=" in line:
                            key, _, value = line.partition("=")
                            values[key.strip()] = value.strip()
            except (IOError, OSError):
                pass
            return {"path": path, "values": values}
    return None


def _module_file(name):
    module = sys.modules.get(name)
    if module is None:
        return None
    return getattr(module, "__file__", None) or "<built-in>"


def _site_modules(paths, site_dirs):
    """Files of modules loaded before the probe ran that are not the standard library's:
    what ``.pth`` import lines and sitecustomize ran. Editing one can change sys.path."""

    def roots(folders):
        return [os.path.join(os.path.realpath(f), "") for f in folders if f]

    stdlib = roots([paths.get("stdlib"), paths.get("platstdlib")])
    sites = roots(site_dirs)
    found = []
    for file in _LOADED_AT_START:
        if not file or not os.path.isabs(file) or file in found:
            continue
        real = os.path.realpath(file)
        in_stdlib = [root for root in stdlib if real.startswith(root)]
        in_site = [root for root in sites if real.startswith(root)]
        if stdlib and (in_site or not in_stdlib):
            if file.endswith((".pyc", ".pyo")) and os.path.exists(file[:-1]):
                file = file[:-1]  # Python 2 names the bytecode; an edit changes the source
            found.append(_text(file))
    return sorted(found)


def _sysconfig_paths():
    sysconfig = _sysconfig()
    if sysconfig is None:
        return {}, None
    try:
        paths = sysconfig.get_paths()
    except Exception:
        paths = {}
    try:
        plat = sysconfig.get_platform()
    except Exception:
        plat = None
    return paths, plat


def main():
    impl_name, impl_version = _implementation()
    pointer_size = struct.calcsize("P") * 8
    prefix = sys.prefix
    base_prefix = getattr(sys, "base_prefix", None) or getattr(sys, "real_prefix", None) or prefix
    user_site, user_base, enable_user_site = _user_site()
    paths, plat = _sysconfig_paths()
    site_packages = _site_packages()
    abiflags = getattr(sys, "abiflags", None)
    if abiflags is None:
        abiflags = _config_var("ABIFLAGS") or ""
    info = {
        "probe_format": PROBE_FORMAT,
        "implementation_name": impl_name,
        "implementation_version": impl_version,
        "python_version": platform.python_version(),
        "version_info": list(sys.version_info[:5]),
        "sys_version": sys.version,
        "executable": sys.executable,
        "real_executable": os.path.realpath(sys.executable) if sys.executable else None,
        "base_executable": getattr(sys, "_base_executable", None),
        "prefix": prefix,
        "base_prefix": base_prefix,
        "exec_prefix": sys.exec_prefix,
        "base_exec_prefix": getattr(sys, "base_exec_prefix", None) or sys.exec_prefix,
        "is_venv": prefix != base_prefix or hasattr(sys, "real_prefix"),
        "sys_path": _sys_path(),
        "site_packages": site_packages,
        "user_site": user_site,
        "user_base": user_base,
        "enable_user_site": enable_user_site,
        "sysconfig_paths": paths,
        "platform": plat,
        "sys_platform": sys.platform,
        "pointer_size": pointer_size,
        "free_threaded": bool(_config_var("Py_GIL_DISABLED")),
        "gil_enabled": getattr(sys, "_is_gil_enabled", lambda: True)(),
        "debug_build": hasattr(sys, "gettotalrefcount"),
        "abiflags": abiflags,
        "soabi": _config_var("SOABI"),
        "ext_suffix": _config_var("EXT_SUFFIX") or _config_var("SO"),
        "libc": _libc(),
        "libpython": _libpython(),
        "pyvenv_cfg": _pyvenv_cfg(),
        "markers": _markers(),
        "manylinux": _manylinux(platform.machine(), pointer_size),
        "site_modules": _site_modules(paths, site_packages + [user_site]),
        "modules": {
            "sitecustomize": _module_file("sitecustomize"),
            "usercustomize": _module_file("usercustomize"),
            "_manylinux": _module_file("_manylinux"),
        },
        "byteorder": sys.byteorder,
        "maxunicode": sys.maxunicode,
    }
    for key in ("executable", "real_executable", "base_executable", "prefix", "base_prefix"):
        info[key] = _text(info[key])
    # interpdb passes a token made for this run: the answer is framed by it, so what a
    # sitecustomize or a .pth prints before or after cannot be taken for the answer.
    token = sys.argv[1] if len(sys.argv) > 1 else None
    if token is not None:
        sys.stdout.write("\n<<interpdb-answer %s>>" % (token,))
    sys.stdout.write(json.dumps(info, sort_keys=True))
    if token is not None:
        sys.stdout.write("<<interpdb-end %s>>" % (token,))
    sys.stdout.write("\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
