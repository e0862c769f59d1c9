#!/usr/bin/python3
"""Compile and run every ```c block of the given docs against the built library.

usage: check_doc_examples.py LIBCRYPTOTA.so INCLUDE_DIR [INCLUDE_DIR...] -- DOC.md [DOC.md...]
A block passes when it compiles with -Wall -Werror and exits 0.
"""
import os
import re
import subprocess
import sys
import tempfile


def main():
    args = sys.argv[1:]
    sep = args.index("--")
    lib, incs, docs = args[0], args[1:sep], args[sep + 1:]
    cc = os.environ.get("CC", "cc")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="ct_docs_") as work:
        for doc in docs:
            blocks = re.findall(r"```c\n(.*?)```", open(doc, encoding="utf-8").read(), re.S)
            if not blocks:
                print("FAIL %s: no C example" % doc)
                failures += 1
            for i, code in enumerate(blocks):
                src = os.path.join(work, "ex%d.c" % i)
                exe = os.path.join(work, "ex%d" % i)
                open(src, "w").write(code)
                cmd = [cc, "-std=c11", "-Wall", "-Werror", src, "-o", exe]
                cmd += ["-I" + d for d in incs]
                cmd += [lib, "-Wl,-rpath," + os.path.dirname(lib), "-lm"]
                p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                if p.returncode != 0:
                    print("FAIL %s block %d does not compile:\n%s" % (doc, i, p.stdout.decode()))
                    failures += 1
                    continue
                p = subprocess.run([exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
                out = p.stdout.decode()
                print("%s block %d -> exit %d\n%s" % (os.path.basename(doc), i, p.returncode, out))
                if p.returncode != 0:
                    failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
