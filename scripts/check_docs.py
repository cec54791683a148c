#!/usr/bin/env python3
"""Checks tessera's docs (make docs).

1. Every `<!-- include: path -->` block in docs/*.md and README.md holds exactly the file's
   contents (`--fix` rewrites the blocks from the files), and the file exists.
2. Every included examples/*.cpp was built (exists in <build>/examples/), so it compiles.
3. Every public name of a module -- the `using detail::a, detail::b;` lists that end its headers, and
   the structs, classes and enums declared outside `detail` -- has a `///` comment in its header
   and appears on the module's page docs/<module>.md.
4. Relative links in docs/*.md point to files that exist.
Exits non-zero listing every problem.
"""
import argparse
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = re.compile(r"(<!-- include: (?P<path>[^ ]+) -->\n```(?P<lang>\w*)\n)(?P<body>.*?)(```\n<!-- end include -->)", re.S)


def check_includes(fix, build, problems):
    pages = sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) + [os.path.join(ROOT, "README.md")]
    for page in pages:
        text = open(page).read()
        changed = False

        def repl(m):
            nonlocal changed
            rel = m.group("path")
            path = os.path.join(ROOT, rel)
            if not os.path.exists(path):
                problems.append(f"{os.path.relpath(page, ROOT)}: includes missing file {rel}")
                return m.group(0)
            content = open(path).read()
            if not content.endswith("\n"):
                content += "\n"
            if m.group("body") != content:
                if fix:
                    changed = True
                    return m.group(1) + content + m.group(5)
                problems.append(f"{os.path.relpath(page, ROOT)}: block for {rel} differs from the file (run scripts/check_docs.py --fix)")
            if build and rel.startswith("examples/") and rel.endswith(".cpp") and rel.count("/") == 1:
                exe = os.path.join(build, "examples", os.path.basename(rel)[:-4])
                if not os.path.exists(exe):
                    problems.append(f"{os.path.relpath(page, ROOT)}: included {rel} was not built ({exe} missing)")
            return m.group(0)

        new = INCLUDE.sub(repl, text)
        if fix and changed:
            open(page, "w").write(new)


def public_names(header_text):
    names = set()
    for decl in re.findall(r"^\s*using (detail::\w+(?:\s*,\s*detail::\w+)*)\s*;", header_text, re.M):
        names.update(re.findall(r"detail::(\w+)", decl))
    # Types declared outside detail: track namespace nesting crudely by 'namespace detail' blocks.
    out_of_detail = re.sub(r"namespace detail\s*\{.*?\n    \}  // namespace detail", "", header_text, flags=re.S)
    for kind, name in re.findall(r"^\s*(?:template\s*<[^>]*>\s*)?(struct|class|enum class)\s+(\w+)\s*(?:final\s*)?[:{\n]", out_of_detail, re.M):
        names.add(name)
    return names


def has_doc_comment(header_text, name):
    """True when some declaration of `name` is directly preceded by a /// block, allowing
    (multi-line) template headers in between."""
    lines = header_text.split("\n")
    decl = re.compile(r"(?:\b(?:struct|class|enum class)\s+" + re.escape(name) + r"\b)|(?:\b" + re.escape(name) + r"\s*\()"
                      + r"|(?:\bconstexpr\b.*\b" + re.escape(name) + r"\b)|(?:\busing\s+" + re.escape(name) + r"\s*=)")
    for i, line in enumerate(lines):
        if line.strip().startswith("//") or not decl.search(line):
            continue
        j = i - 1
        while j >= 0:
            t = lines[j].strip()
            if t.startswith("///"):
                return True
            if not t or t.endswith((";", "}", "{")) or t.startswith("//"):
                break
            j -= 1
    return False


def check_api(problems):
    inc = os.path.join(ROOT, "include", "tessera")
    for module_dir in sorted(d for d in glob.glob(os.path.join(inc, "*")) if os.path.isdir(d)):
        module = os.path.basename(module_dir)
        page = os.path.join(ROOT, "docs", f"{module}.md")
        page_text = open(page).read() if os.path.exists(page) else None
        if page_text is None:
            problems.append(f"docs/{module}.md is missing (module {module})")
        for h in sorted(glob.glob(os.path.join(module_dir, "*.hpp"))):
            text = open(h).read()
            for name in sorted(public_names(text)):
                rel = os.path.relpath(h, ROOT)
                if not has_doc_comment(text, name):
                    # the declaration may live in another header of the module (detail/)
                    others = "".join(open(p).read() for p in glob.glob(os.path.join(module_dir, "**", "*.hpp"), recursive=True))
                    if not has_doc_comment(others, name):
                        problems.append(f"{rel}: public '{name}' has no /// comment")
                if page_text is not None and not re.search(r"\b" + re.escape(name) + r"\b", page_text):
                    problems.append(f"docs/{module}.md: public '{name}' ({rel}) is not documented")


def check_links(problems):
    for page in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) + [os.path.join(ROOT, "README.md")]:
        text = open(page).read()
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"^[a-z]+://", target) or target.startswith("mailto:"):
                continue
            if not os.path.exists(os.path.join(os.path.dirname(page), target)):
                problems.append(f"{os.path.relpath(page, ROOT)}: broken link {target}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fix", action="store_true", help="rewrite include blocks from the files")
    ap.add_argument("--build", default=None, help="build directory: check included examples were built")
    a = ap.parse_args()
    problems = []
    check_includes(a.fix, a.build, problems)
    check_api(problems)
    check_links(problems)
    for p in problems:
        print("check_docs:", p)
    print(f"check_docs: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
