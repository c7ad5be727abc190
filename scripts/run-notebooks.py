#!/usr/bin/env python3
"""Executes notebooks with the real Jupyter machinery: Deno's kernel (registered with
`deno jupyter --install` into a private data dir, so the user's kernels are untouched)
driven by nbclient. Fails on the first cell error.

    python3 scripts/run-notebooks.py [--deno PATH] [--out DIR] notebooks/*.ipynb

Prints one line per notebook: "ok NAME SECONDS" or the failing cell and its error.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNEL = 'scattergrad-deno'


def install_kernel(deno, data_home):
    # deno writes the kernelspec under $XDG_DATA_HOME/jupyter/kernels/<name>.
    env = dict(os.environ, XDG_DATA_HOME=data_home)
    subprocess.run([deno, 'jupyter', '--install', '--force', '--name', KERNEL, '--display', 'Deno (scattergrad)'],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    spec = os.path.join(data_home, 'jupyter', 'kernels', KERNEL, 'kernel.json')
    if not os.path.exists(spec):
        raise SystemExit(f'run-notebooks: deno jupyter --install wrote no {spec}')
    return os.path.join(data_home, 'jupyter')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--deno', default=os.path.join(os.path.dirname(__file__), '..', 'node_modules', '.bin', 'deno'))
    ap.add_argument('--out', help='write the executed notebooks here')
    ap.add_argument('--timeout', type=int, default=300, help='seconds per cell')
    ap.add_argument('notebooks', nargs='+')
    args = ap.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory(prefix='scattergrad-jupyter-') as tmp:
        os.environ['JUPYTER_PATH'] = install_kernel(os.path.abspath(args.deno), tmp)
        os.environ['NO_COLOR'] = '1'
        for path in args.notebooks:
            nb = nbformat.read(path, as_version=4)
            start = time.time()
            client = NotebookClient(nb, kernel_name=KERNEL, timeout=args.timeout, allow_errors=False,
                                    resources={'metadata': {'path': os.path.dirname(os.path.abspath(path))}})
            try:
                client.execute()
                print(f'ok {path} {time.time() - start:.1f}', flush=True)
            except CellExecutionError as e:
                failed += 1
                print(f'FAIL {path}\n{e}', flush=True)
            except Exception as e:  # a dead kernel or a timeout
                failed += 1
                print(f'FAIL {path}: {type(e).__name__}: {e}', flush=True)
            if args.out:
                os.makedirs(args.out, exist_ok=True)
                nbformat.write(nb, os.path.join(args.out, os.path.basename(path)))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
