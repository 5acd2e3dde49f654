"""`python -m reference_node` is `chaosnet-node`."""

from .cli import main

raise SystemExit(main())
