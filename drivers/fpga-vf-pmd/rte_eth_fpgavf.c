/* SPDX-License-Identifier: BSD-3-Clause
 *
 * net_fpgavf: the poll-mode driver for the FPGA board's virtual functions (vf2virtio).
 *
 * The FPGA exposes each VF as one RX and one TX descriptor ring that its data plane fills and drains.
 * Until the board exists, the device side is emulated in host memory: a VF's rings are a pair of
 * rte_rings shared with its "link" peer (the virtio side of vf2virtio, or a second VF), so what one
 * port transmits the other receives. Two vdevs with the same link=NAME are the two ends; a vdev
 * alone with loopback=1 receives what it sends. Everything the ethdev API sees is real: bursts
 * move real mbufs, counters are per queue, the link is up only while both ends are started.
 *
 * Devargs: link=NAME | loopback=1, ring_size=N (power of two, default 1024),
 *          delay_ns=N (busy-wait per RX burst that returned packets: a deliberately slowed device
 *          for performance-regression tests; 0 = full speed).
 * Single process only (no secondary-process attach).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_kvargs.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <bus_vdev_driver.h>

#define FPGAVF_ARG_LINK "link"
#define FPGAVF_ARG_LOOPBACK "loopback"
#define FPGAVF_ARG_RING_SIZE "ring_size"
#define FPGAVF_ARG_DELAY "delay_ns"
#define FPGAVF_MAX_LINKS 16

static const char *const valid_args[] = { FPGAVF_ARG_LINK, FPGAVF_ARG_LOOPBACK, FPGAVF_ARG_RING_SIZE, FPGAVF_ARG_DELAY, NULL };

RTE_LOG_REGISTER_DEFAULT(fpgavf_logtype, NOTICE);
#define PMD_LOG(level, fmt, ...) rte_log(RTE_LOG_##level, fpgavf_logtype, "net_fpgavf: " fmt "\n", ##__VA_ARGS__)

/* One emulated wire between two ends. rings[i] is what end i receives. */
struct fpgavf_link {
	char name[32];
	struct rte_ring *rings[2];
	int ends;            /* ends attached (1 or 2); loopback links have one end on both sides */
	int started[2];
	int loopback;
};

static struct fpgavf_link links[FPGAVF_MAX_LINKS];

struct fpgavf_queue {
	struct rte_ring *ring;
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;
};

struct pmd_internals {
	struct fpgavf_link *link;
	int end;
	uint16_t port_id;
	uint64_t delay_cycles;
	struct fpgavf_queue rxq;
	struct fpgavf_queue txq;
	struct rte_ether_addr addr;
};

static const struct rte_eth_link link_down = {
	.link_speed = RTE_ETH_SPEED_NUM_25G,
	.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
	.link_status = RTE_ETH_LINK_DOWN,
	.link_autoneg = RTE_ETH_LINK_FIXED,
};

static uint16_t
fpgavf_rx(void *q, struct rte_mbuf **bufs, uint16_t nb)
{
	struct fpgavf_queue *rxq = q;
	struct pmd_internals *in = container_of(rxq, struct pmd_internals, rxq);
	unsigned int n = rte_ring_dequeue_burst(rxq->ring, (void **)bufs, nb, NULL);
	unsigned int i;

	for (i = 0; i < n; i++) {
		rxq->bytes += rte_pktmbuf_pkt_len(bufs[i]);
		bufs[i]->port = in->port_id;
	}
	rxq->packets += n;
	if (n > 0 && in->delay_cycles > 0) {
		uint64_t until = rte_get_tsc_cycles() + in->delay_cycles;
		while (rte_get_tsc_cycles() < until)
			rte_pause();
	}
	return (uint16_t)n;
}

static uint16_t
fpgavf_tx(void *q, struct rte_mbuf **bufs, uint16_t nb)
{
	struct fpgavf_queue *txq = q;
	uint64_t bytes = 0;
	unsigned int n = rte_ring_enqueue_burst(txq->ring, (void **)bufs, nb, NULL);
	unsigned int i;

	for (i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(bufs[i]);
	txq->packets += n;
	txq->bytes += bytes;
	/* What did not fit stays with the caller (ethdev semantics); the device counts it. */
	txq->errors += nb - n;
	return (uint16_t)n;
}

static void
update_link_status(struct fpgavf_link *l, struct rte_eth_dev *dev, int end)
{
	int peer = l->loopback ? end : 1 - end;
	int up = l->started[end] && l->started[peer] && (l->loopback || l->ends == 2);

	dev->data->dev_link.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
}

static int
fpgavf_configure(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

static int
fpgavf_start(struct rte_eth_dev *dev)
{
	struct pmd_internals *in = dev->data->dev_private;

	in->link->started[in->end] = 1;
	update_link_status(in->link, dev, in->end);
	dev->data->rx_queue_state[0] = RTE_ETH_QUEUE_STATE_STARTED;
	dev->data->tx_queue_state[0] = RTE_ETH_QUEUE_STATE_STARTED;
	return 0;
}

static int
fpgavf_stop(struct rte_eth_dev *dev)
{
	struct pmd_internals *in = dev->data->dev_private;

	in->link->started[in->end] = 0;
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	dev->data->rx_queue_state[0] = RTE_ETH_QUEUE_STATE_STOPPED;
	dev->data->tx_queue_state[0] = RTE_ETH_QUEUE_STATE_STOPPED;
	return 0;
}

static int
fpgavf_link_update(struct rte_eth_dev *dev, int wait __rte_unused)
{
	struct pmd_internals *in = dev->data->dev_private;
	uint8_t before = dev->data->dev_link.link_status;

	if (!dev->data->dev_started)
		dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	else
		update_link_status(in->link, dev, in->end);
	/* 0: the status changed, -1: unchanged (ethdev's link_update contract) */
	return before == dev->data->dev_link.link_status ? -1 : 0;
}

static int
fpgavf_info(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct pmd_internals *in = dev->data->dev_private;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = RTE_ETHER_MAX_JUMBO_FRAME_LEN;
	info->max_rx_queues = 1;
	info->max_tx_queues = 1;
	info->min_rx_bufsize = 0;
	info->rx_desc_lim.nb_max = (uint16_t)rte_ring_get_capacity(in->rxq.ring);
	info->tx_desc_lim.nb_max = (uint16_t)rte_ring_get_capacity(in->txq.ring);
	return 0;
}

static int
fpgavf_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused, unsigned int socket __rte_unused,
		      const struct rte_eth_rxconf *conf __rte_unused, struct rte_mempool *mp __rte_unused)
{
	struct pmd_internals *in = dev->data->dev_private;

	if (qid != 0)
		return -EINVAL;
	dev->data->rx_queues[qid] = &in->rxq;
	return 0;
}

static int
fpgavf_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused, unsigned int socket __rte_unused,
		      const struct rte_eth_txconf *conf __rte_unused)
{
	struct pmd_internals *in = dev->data->dev_private;

	if (qid != 0)
		return -EINVAL;
	dev->data->tx_queues[qid] = &in->txq;
	return 0;
}

static int
fpgavf_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct pmd_internals *in = dev->data->dev_private;

	st->ipackets = st->q_ipackets[0] = in->rxq.packets;
	st->ibytes = st->q_ibytes[0] = in->rxq.bytes;
	st->opackets = st->q_opackets[0] = in->txq.packets;
	st->obytes = st->q_obytes[0] = in->txq.bytes;
	st->oerrors = in->txq.errors;
	return 0;
}

static int
fpgavf_stats_reset(struct rte_eth_dev *dev)
{
	struct pmd_internals *in = dev->data->dev_private;

	in->rxq.packets = in->rxq.bytes = in->rxq.errors = 0;
	in->txq.packets = in->txq.bytes = in->txq.errors = 0;
	return 0;
}

static int
fpgavf_promisc(struct rte_eth_dev *dev __rte_unused)
{
	return 0; /* the emulated wire delivers every frame */
}

static int
fpgavf_mac_set(struct rte_eth_dev *dev __rte_unused, struct rte_ether_addr *addr __rte_unused)
{
	return 0;
}

static int
fpgavf_mtu_set(struct rte_eth_dev *dev __rte_unused, uint16_t mtu __rte_unused)
{
	return 0;
}

static void
link_put(struct fpgavf_link *l)
{
	if (--l->ends > 0)
		return;
	rte_ring_free(l->rings[0]);
	if (l->rings[1] != l->rings[0])
		rte_ring_free(l->rings[1]);
	memset(l, 0, sizeof(*l));
}

static int
fpgavf_close(struct rte_eth_dev *dev)
{
	struct pmd_internals *in = dev->data->dev_private;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	if (in->link != NULL) {
		in->link->started[in->end] = 0;
		link_put(in->link);
		in->link = NULL;
	}
	dev->data->mac_addrs = NULL; /* part of dev_private */
	return 0;
}

static const struct eth_dev_ops fpgavf_ops = {
	.dev_configure = fpgavf_configure,
	.dev_start = fpgavf_start,
	.dev_stop = fpgavf_stop,
	.dev_close = fpgavf_close,
	.dev_infos_get = fpgavf_info,
	.rx_queue_setup = fpgavf_rx_queue_setup,
	.tx_queue_setup = fpgavf_tx_queue_setup,
	.link_update = fpgavf_link_update,
	.stats_get = fpgavf_stats_get,
	.stats_reset = fpgavf_stats_reset,
	.promiscuous_enable = fpgavf_promisc,
	.promiscuous_disable = fpgavf_promisc,
	.allmulticast_enable = fpgavf_promisc,
	.allmulticast_disable = fpgavf_promisc,
	.mac_addr_set = fpgavf_mac_set,
	.mtu_set = fpgavf_mtu_set,
};

struct fpgavf_args {
	char link[32];
	unsigned int loopback;
	unsigned int ring_size;
	uint64_t delay_ns;
};

static int
arg_string(const char *key __rte_unused, const char *value, void *out)
{
	if (strlen(value) == 0 || strlen(value) >= 32)
		return -EINVAL;
	strcpy(out, value);
	return 0;
}

static int
arg_uint(const char *key __rte_unused, const char *value, void *out)
{
	char *end;
	unsigned long long v = strtoull(value, &end, 0);

	if (*value == '\0' || *end != '\0')
		return -EINVAL;
	*(uint64_t *)out = v;
	return 0;
}

/* Attach to (or create) the named wire; returns the end this port is, or -1. */
static int
link_get(const struct fpgavf_args *a, const char *port, struct fpgavf_link **out)
{
	char rname[RTE_RING_NAMESIZE];
	struct fpgavf_link *free_slot = NULL;
	int i;

	for (i = 0; i < FPGAVF_MAX_LINKS; i++) {
		struct fpgavf_link *l = &links[i];

		if (l->ends == 0) {
			if (free_slot == NULL)
				free_slot = l;
			continue;
		}
		if (a->loopback || strcmp(l->name, a->link) != 0)
			continue;
		if (l->ends >= 2 || l->loopback) {
			PMD_LOG(ERR, "%s: link %s already has two ends", port, a->link);
			return -1;
		}
		l->ends = 2;
		*out = l;
		return 1;
	}
	if (free_slot == NULL) {
		PMD_LOG(ERR, "%s: too many links (max %d)", port, FPGAVF_MAX_LINKS);
		return -1;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", a->loopback ? port : a->link);
	free_slot->loopback = a->loopback;
	for (i = 0; i < (a->loopback ? 1 : 2); i++) {
		snprintf(rname, sizeof(rname), "fpgavf_%.16s_%d", free_slot->name, i);
		free_slot->rings[i] = rte_ring_create(rname, a->ring_size, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (free_slot->rings[i] == NULL) {
			PMD_LOG(ERR, "%s: cannot create ring %s: %s", port, rname, rte_strerror(rte_errno));
			if (i == 1)
				rte_ring_free(free_slot->rings[0]);
			memset(free_slot, 0, sizeof(*free_slot));
			return -1;
		}
	}
	if (a->loopback)
		free_slot->rings[1] = free_slot->rings[0];
	free_slot->ends = 1;
	*out = free_slot;
	return 0;
}

static int
fpgavf_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	const char *params = rte_vdev_device_args(vdev);
	struct fpgavf_args a = { .link = "", .loopback = 0, .ring_size = 1024, .delay_ns = 0 };
	uint64_t loopback = 0, ring_size = 1024;
	struct rte_kvargs *kv = NULL;
	struct rte_eth_dev *dev;
	struct pmd_internals *in;
	struct fpgavf_link *l;
	int end;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		PMD_LOG(ERR, "%s: secondary processes are not supported", name);
		return -ENOTSUP;
	}
	if (params != NULL && params[0] != '\0') {
		kv = rte_kvargs_parse(params, valid_args);
		if (kv == NULL) {
			PMD_LOG(ERR, "%s: invalid devargs \"%s\" (known: link, loopback, ring_size, delay_ns)", name, params);
			return -EINVAL;
		}
		if (rte_kvargs_process(kv, FPGAVF_ARG_LINK, arg_string, a.link) < 0 ||
		    rte_kvargs_process(kv, FPGAVF_ARG_LOOPBACK, arg_uint, &loopback) < 0 ||
		    rte_kvargs_process(kv, FPGAVF_ARG_RING_SIZE, arg_uint, &ring_size) < 0 ||
		    rte_kvargs_process(kv, FPGAVF_ARG_DELAY, arg_uint, &a.delay_ns) < 0) {
			PMD_LOG(ERR, "%s: invalid devargs \"%s\"", name, params);
			rte_kvargs_free(kv);
			return -EINVAL;
		}
		rte_kvargs_free(kv);
	}
	a.loopback = loopback != 0;
	if (!rte_is_power_of_2(ring_size) || ring_size < 64 || ring_size > 65536) {
		PMD_LOG(ERR, "%s: ring_size %llu is not a power of two in 64..65536", name, (unsigned long long)ring_size);
		return -EINVAL;
	}
	a.ring_size = (unsigned int)ring_size;
	if (!a.loopback && a.link[0] == '\0') {
		PMD_LOG(ERR, "%s: needs link=NAME (two ports on one link) or loopback=1", name);
		return -EINVAL;
	}
	end = link_get(&a, name, &l);
	if (end < 0)
		return -EINVAL;

	dev = rte_eth_vdev_allocate(vdev, sizeof(*in));
	if (dev == NULL) {
		link_put(l);
		return -ENOMEM;
	}
	in = dev->data->dev_private;
	in->link = l;
	in->end = end;
	in->port_id = dev->data->port_id;
	in->delay_cycles = a.delay_ns * rte_get_tsc_hz() / 1000000000ULL;
	in->rxq.ring = l->rings[end];
	in->txq.ring = l->loopback ? l->rings[0] : l->rings[1 - end];
	rte_eth_random_addr(in->addr.addr_bytes);
	dev->data->mac_addrs = &in->addr;
	dev->data->dev_link = link_down;
	dev->data->nb_rx_queues = 1;
	dev->data->nb_tx_queues = 1;
	dev->data->promiscuous = 1;
	dev->data->all_multicast = 1;
	dev->dev_ops = &fpgavf_ops;
	dev->rx_pkt_burst = fpgavf_rx;
	dev->tx_pkt_burst = fpgavf_tx;
	rte_eth_dev_probing_finish(dev);
	PMD_LOG(INFO, "%s: %s end %d, ring_size %u, delay_ns %llu", name, a.loopback ? "loopback" : l->name, end, a.ring_size,
		(unsigned long long)a.delay_ns);
	return 0;
}

static int
fpgavf_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0;
	fpgavf_close(dev);
	rte_eth_dev_release_port(dev);
	return 0;
}

static struct rte_vdev_driver fpgavf_drv = {
	.probe = fpgavf_probe,
	.remove = fpgavf_remove,
};

RTE_PMD_REGISTER_VDEV(net_fpgavf, fpgavf_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_fpgavf, "link=<name> loopback=0|1 ring_size=<int> delay_ns=<int>");
