"""`python -m scripts.launcher`: the demo (see scripts/launcher/demo.py)."""

from scripts.launcher.demo import main

raise SystemExit(main())
