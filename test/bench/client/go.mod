module berth/benchclient

go 1.19
