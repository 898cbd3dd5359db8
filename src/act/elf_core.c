#include "act/elf_core.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/cleanup.h"

/* Segment data starts on a page boundary, as in the kernel's dumps, so tools
 * may mmap a segment straight from the file. */
#define CORE_PAGE_SIZE 4096u
/* Memory is copied through a buffer this large: big enough that the
 * per-call cost of reading and writing vanishes, small enough to stay
 * cache- and memory-friendly. */
#define COPY_CHUNK (8u << 20)

_Static_assert(sizeof(elf_gregset_t) == sizeof(struct user_regs_struct),
	       "pr_reg holds a user_regs_struct");

struct note_buffer {
	unsigned char *data;
	size_t len, capacity;
};

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int note_add(struct note_buffer *notes, const char *name, uint32_t type, const void *desc,
		    size_t desc_len)
{
	size_t name_len = strlen(name) + 1;
	size_t need = sizeof(Elf64_Nhdr) + align4(name_len) + align4(desc_len);
	Elf64_Nhdr header = {
	    .n_namesz = (Elf64_Word)name_len, .n_descsz = (Elf64_Word)desc_len, .n_type = type};
	unsigned char *at;

	if (desc_len > UINT32_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	if (notes->capacity - notes->len < need) {
		size_t grown = (notes->capacity + need) * 2;
		unsigned char *bigger = realloc(notes->data, grown);

		if (!bigger)
			return -1;
		notes->data = bigger;
		notes->capacity = grown;
	}
	at = notes->data + notes->len;
	memset(at, 0, need);
	memcpy(at, &header, sizeof(header));
	memcpy(at + sizeof(header), name, name_len);
	if (desc_len)
		memcpy(at + sizeof(header) + align4(name_len), desc, desc_len);
	notes->len += need;
	return 0;
}

static int add_prstatus(struct note_buffer *notes, const struct vg_core_process *proc,
			const struct vg_core_thread *thread)
{
	struct elf_prstatus status;

	memset(&status, 0, sizeof(status));
	status.pr_info.si_signo = proc->signal;
	status.pr_cursig = (short)proc->signal;
	status.pr_pid = thread->tid;
	status.pr_ppid = proc->ppid;
	status.pr_pgrp = proc->pgrp;
	status.pr_sid = proc->sid;
	status.pr_utime = thread->utime;
	status.pr_stime = thread->stime;
	memcpy(&status.pr_reg, &thread->regs, sizeof(thread->regs));
	status.pr_fpvalid = 1;
	return note_add(notes, "CORE", NT_PRSTATUS, &status, sizeof(status));
}

static int add_prpsinfo(struct note_buffer *notes, const struct vg_core_process *proc)
{
	static const char state_letters[] = "RSDTZW";
	const char *letter = strchr(state_letters, proc->state);
	struct elf_prpsinfo info;

	memset(&info, 0, sizeof(info));
	/* The kernel numbers states by their place in "RSDTZW". */
	info.pr_state = letter && proc->state ? (char)(letter - state_letters) : 0;
	info.pr_sname = proc->state;
	info.pr_zomb = proc->state == 'Z';
	info.pr_nice = (char)proc->nice;
	info.pr_flag = proc->flags;
	info.pr_uid = proc->uid;
	info.pr_gid = proc->gid;
	info.pr_pid = proc->pid;
	info.pr_ppid = proc->ppid;
	info.pr_pgrp = proc->pgrp;
	info.pr_sid = proc->sid;
	memcpy(info.pr_fname, proc->fname, sizeof(info.pr_fname));
	memcpy(info.pr_psargs, proc->psargs, sizeof(info.pr_psargs));
	return note_add(notes, "CORE", NT_PRPSINFO, &info, sizeof(info));
}

/* NT_FILE: count, page size, then (start, end, offset in pages) for each
 * file-backed segment, then their names, each NUL-terminated. */
static int add_file_note(struct note_buffer *notes, const struct vg_core_process *proc)
{
	_cleanup_free_ unsigned char *desc = NULL;
	size_t count = 0, names_len = 0, len;
	uint64_t *words;
	char *names;

	for (size_t i = 0; i < proc->segment_count; i++) {
		if (!proc->segments[i].file)
			continue;
		count++;
		names_len += proc->segments[i].file_len + 1;
	}
	len = (2 + 3 * count) * sizeof(uint64_t) + names_len;
	desc = malloc(len);
	if (!desc)
		return -1;
	words = (uint64_t *)desc;
	names = (char *)(words + 2 + 3 * count);
	*words++ = count;
	*words++ = CORE_PAGE_SIZE;
	for (size_t i = 0; i < proc->segment_count; i++) {
		const struct vg_core_segment *s = &proc->segments[i];

		if (!s->file)
			continue;
		*words++ = s->start;
		*words++ = s->end;
		*words++ = s->file_offset / CORE_PAGE_SIZE;
		memcpy(names, s->file, s->file_len);
		names[s->file_len] = '\0';
		names += s->file_len + 1;
	}
	return note_add(notes, "CORE", NT_FILE, desc, len);
}

/* The kernel's order: each thread's NT_PRSTATUS, the process-wide notes
 * after the first one, then that thread's other register sets. */
static int build_notes(struct note_buffer *notes, const struct vg_core_process *proc)
{
	for (size_t t = 0; t < proc->thread_count; t++) {
		const struct vg_core_thread *thread = &proc->threads[t];

		if (add_prstatus(notes, proc, thread))
			return -1;
		if (t == 0 && (add_prpsinfo(notes, proc) ||
			       note_add(notes, "CORE", NT_AUXV, proc->auxv, proc->auxv_len) ||
			       add_file_note(notes, proc)))
			return -1;
		if (note_add(notes, "CORE", NT_PRFPREG, &thread->fpregs, sizeof(thread->fpregs)))
			return -1;
	}
	return 0;
}

/* Writes and hashes: the digest comes from the bytes as they are written,
 * sparing a second pass over a file of hundreds of megabytes. */
static int write_all(int fd, EVP_MD_CTX *hash, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!EVP_DigestUpdate(hash, buf, len)) {
		errno = EIO;
		return -1;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ELF header, program headers, the extended-numbering section header when
 * there are too many program headers for e_phnum, the notes, and zero
 * padding up to data_offset. */
static unsigned char *build_headers(const struct vg_core_process *proc,
				    const struct note_buffer *notes, size_t *data_offset)
{
	size_t phnum = 1 + proc->segment_count;
	bool extended = phnum >= PN_XNUM;
	size_t shdr_offset = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
	size_t notes_offset = shdr_offset + (extended ? sizeof(Elf64_Shdr) : 0);
	size_t data_start =
	    (notes_offset + notes->len + CORE_PAGE_SIZE - 1) & ~(size_t)(CORE_PAGE_SIZE - 1);
	unsigned char *block = calloc(1, data_start);
	Elf64_Ehdr *ehdr = (Elf64_Ehdr *)block;
	Elf64_Phdr *phdr;
	uint64_t offset = data_start;

	if (!block)
		return NULL;
	memcpy(ehdr->e_ident, ELFMAG, SELFMAG);
	ehdr->e_ident[EI_CLASS] = ELFCLASS64;
	ehdr->e_ident[EI_DATA] = ELFDATA2LSB;
	ehdr->e_ident[EI_VERSION] = EV_CURRENT;
	ehdr->e_ident[EI_OSABI] = ELFOSABI_NONE;
	ehdr->e_type = ET_CORE;
	ehdr->e_machine = EM_X86_64;
	ehdr->e_version = EV_CURRENT;
	ehdr->e_phoff = sizeof(Elf64_Ehdr);
	ehdr->e_ehsize = sizeof(Elf64_Ehdr);
	ehdr->e_phentsize = sizeof(Elf64_Phdr);
	ehdr->e_phnum = extended ? PN_XNUM : (Elf64_Half)phnum;
	if (extended) {
		Elf64_Shdr *shdr = (Elf64_Shdr *)(block + shdr_offset);

		ehdr->e_shoff = shdr_offset;
		ehdr->e_shentsize = sizeof(Elf64_Shdr);
		ehdr->e_shnum = 1;
		shdr->sh_type = SHT_NULL;
		shdr->sh_size = 1;
		shdr->sh_info = (Elf64_Word)phnum;
	}

	phdr = (Elf64_Phdr *)(block + sizeof(Elf64_Ehdr));
	phdr->p_type = PT_NOTE;
	phdr->p_offset = notes_offset;
	phdr->p_filesz = notes->len;
	phdr->p_align = 4;
	for (size_t i = 0; i < proc->segment_count; i++) {
		const struct vg_core_segment *s = &proc->segments[i];
		Elf64_Phdr *load = &phdr[1 + i];

		load->p_type = PT_LOAD;
		load->p_offset = offset;
		load->p_vaddr = s->start;
		load->p_filesz = s->captured;
		load->p_memsz = s->end - s->start;
		load->p_flags = s->flags;
		load->p_align = CORE_PAGE_SIZE;
		offset += s->captured;
	}
	memcpy(block + notes_offset, notes->data, notes->len);
	*data_offset = data_start;
	return block;
}

static int write_segments(int fd, EVP_MD_CTX *hash, const struct vg_core_process *proc,
			  vg_core_read_fn read_memory, void *ctx, char *err, size_t errlen)
{
	_cleanup_free_ unsigned char *buf = NULL;
	uint64_t largest = 0;

	for (size_t i = 0; i < proc->segment_count; i++)
		if (proc->segments[i].captured > largest)
			largest = proc->segments[i].captured;
	if (!largest)
		return 0;
	buf = malloc(largest < COPY_CHUNK ? largest : COPY_CHUNK);
	if (!buf) {
		snprintf(err, errlen, "core: allocating the copy buffer: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < proc->segment_count; i++) {
		const struct vg_core_segment *s = &proc->segments[i];

		for (uint64_t done = 0; done < s->captured;) {
			size_t n =
			    s->captured - done < COPY_CHUNK ? s->captured - done : COPY_CHUNK;

			if (read_memory(ctx, s->start + done, buf, n, err, errlen))
				return -1;
			if (write_all(fd, hash, buf, n)) {
				snprintf(err, errlen, "core: write: %s", strerror(errno));
				return -1;
			}
			done += n;
		}
	}
	return 0;
}

static int write_core(int fd, EVP_MD_CTX *hash, const struct vg_core_process *proc,
		      vg_core_read_fn read_memory, void *ctx, char *err, size_t errlen)
{
	struct note_buffer notes = {0};
	_cleanup_free_ unsigned char *headers = NULL;
	size_t data_offset;
	int rc;

	if (proc->thread_count == 0) {
		snprintf(err, errlen, "core: no thread to describe");
		return -1;
	}
	for (size_t i = 0; i < proc->segment_count; i++) {
		const struct vg_core_segment *s = &proc->segments[i];

		if (s->end < s->start || s->captured > s->end - s->start) {
			snprintf(err, errlen, "core: segment %#llx-%#llx: captures %llu bytes",
				 (unsigned long long)s->start, (unsigned long long)s->end,
				 (unsigned long long)s->captured);
			return -1;
		}
	}
	rc = build_notes(&notes, proc);
	if (!rc) {
		headers = build_headers(proc, &notes, &data_offset);
		rc = headers ? 0 : -1;
	}
	free(notes.data);
	if (rc) {
		snprintf(err, errlen, "core: building headers and notes: %s", strerror(errno));
		return -1;
	}
	if (write_all(fd, hash, headers, data_offset)) {
		snprintf(err, errlen, "core: write: %s", strerror(errno));
		return -1;
	}
	return write_segments(fd, hash, proc, read_memory, ctx, err, errlen);
}

int elf_core_write(int fd, const struct vg_core_process *proc, vg_core_read_fn read_memory,
		   void *ctx, unsigned char sha256[32], char *err, size_t errlen)
{
	EVP_MD_CTX *hash = EVP_MD_CTX_new();
	int rc = -1;

	if (!hash || !EVP_DigestInit_ex(hash, EVP_sha256(), NULL)) {
		snprintf(err, errlen, "core: cannot start SHA-256");
	} else if (!write_core(fd, hash, proc, read_memory, ctx, err, errlen)) {
		if (EVP_DigestFinal_ex(hash, sha256, NULL))
			rc = 0;
		else
			snprintf(err, errlen, "core: cannot finish SHA-256");
	}
	EVP_MD_CTX_free(hash);
	return rc;
}
