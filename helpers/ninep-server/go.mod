module berth/ninep-server

go 1.19
