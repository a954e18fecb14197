// SPDX-License-Identifier: GPL-2.0
/*
 * ebs - a skeleton of the user's EBS (elastic block storage) driver: a blk-mq block device backed by
 * memory, standing in for the remote volume a real EBS driver would reach through the SmartNIC.
 * A test in a VM writes /dev/ebs0, reads it back, and watches /sys/block/ebs0/stat and /proc/ebs.
 */
#include <linux/module.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/highmem.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/vmalloc.h>
#include <linux/version.h>

static unsigned int size_mb = 16;
module_param(size_mb, uint, 0444);
MODULE_PARM_DESC(size_mb, "size of /dev/ebs0 in MiB (1-256)");

static int major;
static u8 *store;
static struct blk_mq_tag_set tag_set;
static struct gendisk *disk;
static struct proc_dir_entry *proc_entry;
static atomic64_t reads, writes, read_bytes, written_bytes, errors;

static blk_status_t ebs_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	loff_t pos = (loff_t)blk_rq_pos(rq) << SECTOR_SHIFT;
	loff_t cap = (loff_t)size_mb << 20;
	struct req_iterator iter;
	struct bio_vec bvec;
	bool write = req_op(rq) == REQ_OP_WRITE;

	blk_mq_start_request(rq);
	if (req_op(rq) != REQ_OP_READ && !write) {
		/* Flushes have nothing to do: the store is memory. */
		blk_mq_end_request(rq, BLK_STS_OK);
		return BLK_STS_OK;
	}
	if (pos + blk_rq_bytes(rq) > cap) {
		atomic64_inc(&errors);
		blk_mq_end_request(rq, BLK_STS_IOERR);
		return BLK_STS_OK;
	}
	rq_for_each_segment(bvec, rq, iter) {
		u8 *buf = kmap_local_page(bvec.bv_page);

		if (write)
			memcpy(store + pos, buf + bvec.bv_offset, bvec.bv_len);
		else
			memcpy(buf + bvec.bv_offset, store + pos, bvec.bv_len);
		kunmap_local(buf);
		pos += bvec.bv_len;
	}
	if (write) {
		atomic64_inc(&writes);
		atomic64_add(blk_rq_bytes(rq), &written_bytes);
	} else {
		atomic64_inc(&reads);
		atomic64_add(blk_rq_bytes(rq), &read_bytes);
	}
	blk_mq_end_request(rq, BLK_STS_OK);
	return BLK_STS_OK;
}

static const struct blk_mq_ops ebs_mq_ops = {
	.queue_rq = ebs_queue_rq,
};

static const struct block_device_operations ebs_fops = {
	.owner = THIS_MODULE,
};

static int ebs_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "size_mb %u\nreads %lld\nwrites %lld\nread_bytes %lld\nwritten_bytes %lld\nerrors %lld\n", size_mb,
		   (long long)atomic64_read(&reads), (long long)atomic64_read(&writes),
		   (long long)atomic64_read(&read_bytes), (long long)atomic64_read(&written_bytes),
		   (long long)atomic64_read(&errors));
	return 0;
}

static void ebs_free_disk(void)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 0, 0)
	blk_cleanup_disk(disk);
#else
	put_disk(disk);
#endif
}

static int __init ebs_init(void)
{
	int err;

	if (size_mb < 1 || size_mb > 256)
		return -EINVAL;
	store = vzalloc((size_t)size_mb << 20);
	if (!store)
		return -ENOMEM;
	major = register_blkdev(0, "ebs");
	if (major < 0) {
		err = major;
		goto free_store;
	}
	tag_set.ops = &ebs_mq_ops;
	tag_set.nr_hw_queues = 1;
	tag_set.queue_depth = 64;
	tag_set.numa_node = NUMA_NO_NODE;
	tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	err = blk_mq_alloc_tag_set(&tag_set);
	if (err)
		goto unregister;
	disk = blk_mq_alloc_disk(&tag_set, NULL);
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		goto free_tags;
	}
	disk->major = major;
	disk->first_minor = 0;
	disk->minors = 1;
	disk->fops = &ebs_fops;
	snprintf(disk->disk_name, DISK_NAME_LEN, "ebs0");
	set_capacity(disk, (sector_t)size_mb << (20 - SECTOR_SHIFT));
	err = add_disk(disk);
	if (err)
		goto free_disk;
	proc_entry = proc_create_single("ebs", 0444, NULL, ebs_proc_show);
	pr_info("ebs: /dev/ebs0 ready, %u MiB\n", size_mb);
	return 0;
free_disk:
	ebs_free_disk();
free_tags:
	blk_mq_free_tag_set(&tag_set);
unregister:
	unregister_blkdev(major, "ebs");
free_store:
	vfree(store);
	return err;
}

static void __exit ebs_exit(void)
{
	proc_remove(proc_entry);
	del_gendisk(disk);
	ebs_free_disk();
	blk_mq_free_tag_set(&tag_set);
	unregister_blkdev(major, "ebs");
	vfree(store);
}

module_init(ebs_init);
module_exit(ebs_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("dpu-ci");
MODULE_DESCRIPTION("EBS skeleton: memory-backed blk-mq block device /dev/ebs0");
MODULE_VERSION("0.1.0");
