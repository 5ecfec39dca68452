from slaboard.cli import main

raise SystemExit(main())
