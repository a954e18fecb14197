// SPDX-License-Identifier: GPL-2.0
/*
 * vffwd - a skeleton of the user's "vf fwd" driver: it forwards frames between a VF-side netdev and
 * a virtio-side netdev. Here both sides are software netdevs, so a test inside a VM can watch it work
 * without hardware: frames sent on vffN arrive on vfvN and the other way round, counted in
 * /proc/vffwd; writing 0 to /sys/module/vffwd/parameters/enabled makes it drop (and count) instead.
 */
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static unsigned int pairs = 1;
module_param(pairs, uint, 0444);
MODULE_PARM_DESC(pairs, "number of VF/virtio netdev pairs to create (1-8)");

static bool enabled = true;
module_param(enabled, bool, 0644);
MODULE_PARM_DESC(enabled, "forward frames (1) or drop them (0)");

#define VFFWD_MAX_PAIRS 8

struct vffwd_priv {
	struct net_device *peer;
	atomic64_t fwd_packets;
	atomic64_t fwd_bytes;
	atomic64_t drops;
	atomic64_t rx_packets;
	atomic64_t rx_bytes;
};

static struct net_device *vf_devs[VFFWD_MAX_PAIRS];
static struct net_device *virtio_devs[VFFWD_MAX_PAIRS];
static struct proc_dir_entry *proc_entry;

static netdev_tx_t vffwd_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct vffwd_priv *priv = netdev_priv(dev);
	struct net_device *peer = priv->peer;
	unsigned int len = skb->len;

	if (!READ_ONCE(enabled) || !peer || !netif_running(peer)) {
		atomic64_inc(&priv->drops);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	/* dev_forward_skb scrubs the skb, sets the protocol for the peer and queues it as received. */
	if (dev_forward_skb(peer, skb) == NET_RX_SUCCESS) {
		struct vffwd_priv *ppriv = netdev_priv(peer);

		atomic64_inc(&priv->fwd_packets);
		atomic64_add(len, &priv->fwd_bytes);
		atomic64_inc(&ppriv->rx_packets);
		atomic64_add(len, &ppriv->rx_bytes);
	} else {
		atomic64_inc(&priv->drops);
	}
	return NETDEV_TX_OK;
}

static void vffwd_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *s)
{
	struct vffwd_priv *priv = netdev_priv(dev);

	s->tx_packets = atomic64_read(&priv->fwd_packets);
	s->tx_bytes = atomic64_read(&priv->fwd_bytes);
	s->tx_dropped = atomic64_read(&priv->drops);
	s->rx_packets = atomic64_read(&priv->rx_packets);
	s->rx_bytes = atomic64_read(&priv->rx_bytes);
}

static const struct net_device_ops vffwd_ops = {
	.ndo_start_xmit = vffwd_xmit,
	.ndo_get_stats64 = vffwd_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static void vffwd_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &vffwd_ops;
	dev->priv_flags |= IFF_NO_QUEUE;
	eth_hw_addr_random(dev);
}

static int vffwd_proc_show(struct seq_file *m, void *v)
{
	unsigned int i;

	seq_printf(m, "enabled %d\npairs %u\n", READ_ONCE(enabled) ? 1 : 0, pairs);
	for (i = 0; i < pairs; i++) {
		struct vffwd_priv *a = netdev_priv(vf_devs[i]);
		struct vffwd_priv *b = netdev_priv(virtio_devs[i]);

		seq_printf(m, "%s->%s fwd %lld bytes %lld drop %lld\n", vf_devs[i]->name, virtio_devs[i]->name,
			   (long long)atomic64_read(&a->fwd_packets), (long long)atomic64_read(&a->fwd_bytes),
			   (long long)atomic64_read(&a->drops));
		seq_printf(m, "%s->%s fwd %lld bytes %lld drop %lld\n", virtio_devs[i]->name, vf_devs[i]->name,
			   (long long)atomic64_read(&b->fwd_packets), (long long)atomic64_read(&b->fwd_bytes),
			   (long long)atomic64_read(&b->drops));
	}
	return 0;
}

static void vffwd_destroy(void)
{
	unsigned int i;

	for (i = 0; i < VFFWD_MAX_PAIRS; i++) {
		if (vf_devs[i]) {
			unregister_netdev(vf_devs[i]);
			free_netdev(vf_devs[i]);
			vf_devs[i] = NULL;
		}
		if (virtio_devs[i]) {
			unregister_netdev(virtio_devs[i]);
			free_netdev(virtio_devs[i]);
			virtio_devs[i] = NULL;
		}
	}
}

static int __init vffwd_init(void)
{
	unsigned int i;
	int err;

	if (pairs < 1 || pairs > VFFWD_MAX_PAIRS)
		return -EINVAL;
	for (i = 0; i < pairs; i++) {
		struct net_device *vf, *vv;

		vf = alloc_netdev(sizeof(struct vffwd_priv), "vff%d", NET_NAME_ENUM, vffwd_setup);
		vv = alloc_netdev(sizeof(struct vffwd_priv), "vfv%d", NET_NAME_ENUM, vffwd_setup);
		if (!vf || !vv) {
			free_netdev(vf);
			free_netdev(vv);
			err = -ENOMEM;
			goto fail;
		}
		((struct vffwd_priv *)netdev_priv(vf))->peer = vv;
		((struct vffwd_priv *)netdev_priv(vv))->peer = vf;
		err = register_netdev(vf);
		if (err) {
			free_netdev(vf);
			free_netdev(vv);
			goto fail;
		}
		vf_devs[i] = vf;
		err = register_netdev(vv);
		if (err) {
			free_netdev(vv);
			goto fail;
		}
		virtio_devs[i] = vv;
	}
	proc_entry = proc_create_single("vffwd", 0444, NULL, vffwd_proc_show);
	if (!proc_entry) {
		err = -ENOMEM;
		goto fail;
	}
	pr_info("vffwd: %u pair(s) ready\n", pairs);
	return 0;
fail:
	vffwd_destroy();
	return err;
}

static void __exit vffwd_exit(void)
{
	proc_remove(proc_entry);
	vffwd_destroy();
}

module_init(vffwd_init);
module_exit(vffwd_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("dpu-ci");
MODULE_DESCRIPTION("VF to virtio forwarding skeleton (software netdev pairs)");
MODULE_VERSION("0.1.0");
