package stack

import (
	"net/netip"
	"strconv"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

type dockerHostConfig = container.HostConfig

// bindLoopback publishes containerPort on 127.0.0.1:hostPort only: a drill's database must not
// be reachable from the machine's other interfaces.
func bindLoopback(hc *container.HostConfig, containerPort, hostPort int) {
	if hc.PortBindings == nil {
		hc.PortBindings = network.PortMap{}
	}
	p := network.MustParsePort(strconv.Itoa(containerPort) + "/tcp")
	hc.PortBindings[p] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(hostPort)}}
}
