"""Data shipped with the package.

xquad-dev/: the first 24 articles of XQuAD in Russian and English (SQuAD v1.1 format), CC BY-SA 4.0
(see xquad-dev/NOTICE.md); `chatai kb eval`, the knowledge tests and the benchmarks measure retrieval on it.
"""

from pathlib import Path

XQUAD_DIR = Path(__file__).resolve().parent / "xquad-dev"
