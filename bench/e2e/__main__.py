from bench.e2e.matrix import main

raise SystemExit(main())
