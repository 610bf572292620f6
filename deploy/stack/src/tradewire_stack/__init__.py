"""tradewire's images built and its compose stack run for real (`./tw images`, `./tw stack-test`), and what
the deploy checks read: the entry commands (`entrypoints`), compose files and Dockerfiles as parsed
(`compose_project`, `dockerfile`), and the generated settings reference (`settings_reference`)."""
