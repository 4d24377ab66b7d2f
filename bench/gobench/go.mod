module racetrace/bench/gobench

go 1.19
