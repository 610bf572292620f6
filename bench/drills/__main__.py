from bench.drills.catalogue import main

raise SystemExit(main())
