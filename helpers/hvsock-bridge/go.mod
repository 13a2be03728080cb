module berth/hvsock-bridge

go 1.19
