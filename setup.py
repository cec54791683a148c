"""Builds tessera._tessera with the project's CMake (python/CMakeLists.txt) for `pip install .`.

Configures with the running interpreter (Python_EXECUTABLE), without tests, benchmarks, examples
or -march=native, in build-pip/ (not build/, the developers' tree), and copies the extension
where setuptools packs it. pyproject.toml holds the metadata.
"""
import os
import re
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(ROOT, "build-pip"), exist_ok=True)


def version():
    text = open(os.path.join(ROOT, "include", "tessera", "core", "version.hpp")).read()
    parts = [re.search(rf"#define TESSERA_VERSION_{p} (\d+)", text)[1] for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.path.join(ROOT, "build-pip", "cmake")
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.check_call([
            "cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
            "-DTESSERA_BUILD_PYTHON=ON", "-DTESSERA_BUILD_TESTS=OFF", "-DTESSERA_BUILD_BENCHMARKS=OFF",
            "-DTESSERA_BUILD_EXAMPLES=OFF", "-DTESSERA_INSTALL=OFF", "-DTESSERA_NATIVE=OFF",
            f"-DPython_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build_dir, "-j", jobs, "--target", "_tessera"])
        pkg = os.path.join(build_dir, "python", "tessera")
        built = [f for f in os.listdir(pkg) if f.startswith("_tessera") and f.endswith((".so", ".pyd"))]
        if len(built) != 1:
            raise RuntimeError(f"setup.py: expected one _tessera extension in {pkg}, found {built}")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        self.copy_file(os.path.join(pkg, built[0]), target)


setup(
    version=version(),
    ext_modules=[Extension("tessera._tessera", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": os.path.join("build-pip", "setuptools")},
             "egg_info": {"egg_base": "build-pip"}},
    zip_safe=False,
)
