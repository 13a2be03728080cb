module berth/agent

go 1.19
