module racewire/bench/transitions/goprog

go 1.19
