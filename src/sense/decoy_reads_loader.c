#include "sense/decoy_reads_loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "decoy_reads.skel.h"
#include "sense/decoy_reads.h"

struct vg_decoy_reads {
	struct decoy_reads_bpf *skel;
};

int decoy_reads_open(struct vg_decoy_reads **out, char *err, size_t errlen)
{
	struct vg_decoy_reads *r = calloc(1, sizeof(*r));
	int rc;

	if (!r) {
		snprintf(err, errlen, "decoy reads: out of memory");
		return -1;
	}
	r->skel = decoy_reads_bpf__open_and_load();
	if (!r->skel) {
		snprintf(err, errlen, "decoy reads: loading the BPF program: %s", strerror(errno));
		free(r);
		return -1;
	}
	rc = decoy_reads_bpf__attach(r->skel);
	if (rc) {
		snprintf(err, errlen, "decoy reads: attaching fexit/vfs_read: %s", strerror(-rc));
		decoy_reads_close(r);
		return -1;
	}
	*out = r;
	return 0;
}

static struct vg_decoy_file file_key(uint64_t dev, uint64_t ino)
{
	struct vg_decoy_file key = {.ino = ino};

	key.dev = (major((dev_t)dev) << 20) | minor((dev_t)dev);
	return key;
}

int decoy_reads_watch(struct vg_decoy_reads *r, uint64_t dev, uint64_t ino)
{
	struct vg_decoy_file key = file_key(dev, ino);
	__u8 one = 1;

	return bpf_map_update_elem(bpf_map__fd(r->skel->maps.decoy_files), &key, &one, BPF_ANY);
}

int decoy_reads_take(struct vg_decoy_reads *r, uint32_t tgid,
		     void (*fn)(uint64_t dev, uint64_t ino, uint64_t bytes, void *ctx), void *ctx)
{
	int map = bpf_map__fd(r->skel->maps.decoy_reads), found = 0;
	struct vg_decoy_read_key key, next, mine[64];
	int n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(map, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (next.tgid == tgid && n < (int)(sizeof(mine) / sizeof(mine[0])))
			mine[n++] = next;
	}
	for (int i = 0; i < n; i++) {
		__u64 bytes;

		if (bpf_map_lookup_elem(map, &mine[i], &bytes))
			continue;
		fn(makedev(mine[i].file.dev >> 20, mine[i].file.dev & 0xfffff), mine[i].file.ino,
		   bytes, ctx);
		bpf_map_delete_elem(map, &mine[i]);
		found++;
	}
	return found;
}

void decoy_reads_close(struct vg_decoy_reads *r)
{
	if (!r)
		return;
	decoy_reads_bpf__destroy(r->skel);
	free(r);
}
