// SPDX-License-Identifier: GPL-2.0
/*
 * vffwd - a skeleton of the user's "vf fwd" driver: it forwards frames between a VF-side netdev and
 * a virtio-side netdev. Here both sides are software netdevs, so a test inside a VM can watch it work
 * without hardware: frames sent on vffN arrive on vfvN and the other way round, counted in
 * /proc/vffwd; writing 0 to /sys/module/vffwd/parameters/enabled makes it drop (and count) instead.
 *
 * With vf=IFNAME virtio=IFNAME it also forwards a real VF's ingress (an 82599 VF under ixgbevf, or an
 * igbvf VF on a simulated board) to the virtio NIC: an rx_handler on the VF hands every received
 * frame to the virtio device's transmit path, counted in /proc/vffwd's "attach" line. The module
 * holds both devices while loaded: unload it before removing the VFs.
 */
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/rtnetlink.h>

static unsigned int pairs = 1;
module_param(pairs, uint, 0444);
MODULE_PARM_DESC(pairs, "number of VF/virtio netdev pairs to create (1-8)");

static bool enabled = true;
module_param(enabled, bool, 0644);
MODULE_PARM_DESC(enabled, "forward frames (1) or drop them (0)");

static char *attach_vf = "";
module_param_named(vf, attach_vf, charp, 0444);
MODULE_PARM_DESC(vf, "a VF netdev whose ingress is forwarded to the virtio netdev (with virtio=)");

static char *attach_virtio = "";
module_param_named(virtio, attach_virtio, charp, 0444);
MODULE_PARM_DESC(virtio, "the virtio netdev that receives the VF's ingress (with vf=)");

#define VFFWD_MAX_PAIRS 8

static struct net_device *att_vf, *att_virtio;
static atomic64_t att_fwd, att_bytes, att_drops;

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
	if (att_vf)
		seq_printf(m, "attach %s->%s fwd %lld bytes %lld drop %lld\n", att_vf->name, att_virtio->name,
			   (long long)atomic64_read(&att_fwd), (long long)atomic64_read(&att_bytes),
			   (long long)atomic64_read(&att_drops));
	return 0;
}

/* The VF's receive path: every frame goes out of the virtio device instead of up the VF's stack. */
static rx_handler_result_t vffwd_rx(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct net_device *out = READ_ONCE(att_virtio);
	unsigned int len;

	if (skb->pkt_type == PACKET_LOOPBACK)
		return RX_HANDLER_PASS;
	if (!READ_ONCE(enabled) || !out || !netif_running(out)) {
		atomic64_inc(&att_drops);
		kfree_skb(skb);
		return RX_HANDLER_CONSUMED;
	}
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb) {
		atomic64_inc(&att_drops);
		return RX_HANDLER_CONSUMED;
	}
	/* Back to the Ethernet header eth_type_trans pulled. */
	skb_push(skb, ETH_HLEN);
	len = skb->len;
	skb->dev = out;
	if (dev_queue_xmit(skb) == NET_XMIT_SUCCESS) {
		atomic64_inc(&att_fwd);
		atomic64_add(len, &att_bytes);
	} else {
		atomic64_inc(&att_drops);
	}
	return RX_HANDLER_CONSUMED;
}

static int vffwd_attach(void)
{
	int err;

	att_vf = dev_get_by_name(&init_net, attach_vf);
	att_virtio = dev_get_by_name(&init_net, attach_virtio);
	if (!att_vf || !att_virtio) {
		pr_err("vffwd: no netdev %s\n", att_vf ? attach_virtio : attach_vf);
		err = -ENODEV;
		goto put;
	}
	rtnl_lock();
	err = netdev_rx_handler_register(att_vf, vffwd_rx, NULL);
	rtnl_unlock();
	if (err) {
		pr_err("vffwd: %s already has an rx handler (%d)\n", attach_vf, err);
		goto put;
	}
	pr_info("vffwd: forwarding %s ingress to %s\n", att_vf->name, att_virtio->name);
	return 0;
put:
	if (att_vf)
		dev_put(att_vf);
	if (att_virtio)
		dev_put(att_virtio);
	att_vf = NULL;
	att_virtio = NULL;
	return err;
}

static void vffwd_detach(void)
{
	if (!att_vf)
		return;
	rtnl_lock();
	netdev_rx_handler_unregister(att_vf);
	rtnl_unlock();
	dev_put(att_vf);
	dev_put(att_virtio);
	att_vf = NULL;
	att_virtio = NULL;
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
	if (attach_vf[0] || attach_virtio[0]) {
		err = attach_vf[0] && attach_virtio[0] ? vffwd_attach() : -EINVAL;
		if (err)
			goto fail;
	}
	proc_entry = proc_create_single("vffwd", 0444, NULL, vffwd_proc_show);
	if (!proc_entry) {
		err = -ENOMEM;
		goto fail;
	}
	pr_info("vffwd: %u pair(s) ready\n", pairs);
	return 0;
fail:
	vffwd_detach();
	vffwd_destroy();
	return err;
}

static void __exit vffwd_exit(void)
{
	proc_remove(proc_entry);
	vffwd_detach();
	vffwd_destroy();
}

module_init(vffwd_init);
module_exit(vffwd_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("dpu-ci");
MODULE_DESCRIPTION("VF to virtio forwarding skeleton (software netdev pairs)");
MODULE_VERSION("0.2.0");
