"""tradewire's images built and its compose stack run for real (`./tw images`, `./tw stack-test`)."""
