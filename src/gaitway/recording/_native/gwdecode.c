/* The integer and float work of decoding one samples block of a Gaitway recording, in one
 * pass per column: assemble each value from its byte planes, undo the zigzag, undo the
 * delta order (running sums of order 0-3), scale, store. It returns bit for bit what
 * gaitway.recording.codec's numpy decoder returns (a property test checks both on the same
 * payloads); numpy needs ~20 passes and ~40 calls a block for the same, which is most of the
 * time a long recording takes to read.
 *
 * Plain C with no Python API: loaded with ctypes (which releases the GIL during the call),
 * built by the package build (hatch_build.py). Exceptions (NaN, inf, huge values) are
 * patched in afterwards by the caller, as the numpy decoder does.
 *
 * Arithmetic: integers wrap modulo 2^64 like numpy's int64 (unsigned here, so no undefined
 * behaviour); the product is the double product of the integer converted to double and the
 * column's resolution, stored as float (rounded once) or double: numpy's
 * multiply(q, scale, out=..., casting="unsafe"). Compile without -ffast-math.
 */
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define GW_EXPORT __declspec(dllexport)
#else
#define GW_EXPORT __attribute__((visibility("default")))
#endif

/* ABI version: the Python side refuses a library whose version it does not know. */
GW_EXPORT int gw_decode_abi(void) { return 2; }

/* Rows are decoded in chunks of CHUNK through a buffer on the stack (L1-resident); the
 * running sums carry over from one chunk to the next. */
#define CHUNK 256

/* One chunk's zigzagged integers assembled from the byte planes. Where only the lowest four
 * planes are stored (most blocks), the bytes are put together in 32 bits, one loop for all
 * planes (the compiler vectorises it), and widened once; else one plane at a time in 64. */
static void assemble(const uint8_t *const planes[8], size_t at, size_t n, uint64_t *u) {
    int high = 0;
    for (unsigned k = 4; k < 8; k++) high |= planes[k] != NULL;
    if (!high) {
        static const uint8_t zeros[CHUNK];
        const uint8_t *p0 = planes[0] ? planes[0] + at : zeros;
        const uint8_t *p1 = planes[1] ? planes[1] + at : zeros;
        const uint8_t *p2 = planes[2] ? planes[2] + at : zeros;
        const uint8_t *p3 = planes[3] ? planes[3] + at : zeros;
        uint32_t w[CHUNK];
        for (size_t r = 0; r < n; r++) {
            w[r] = (uint32_t)p0[r] | (uint32_t)p1[r] << 8 | (uint32_t)p2[r] << 16
                   | (uint32_t)p3[r] << 24;
        }
        for (size_t r = 0; r < n; r++) u[r] = w[r];
        return;
    }
    int any = 0;
    for (unsigned k = 0; k < 8; k++) {
        const uint8_t *p = planes[k];
        if (p == NULL) continue;
        p += at;
        const unsigned shift = 8 * k;
        if (!any) {
            for (size_t r = 0; r < n; r++) u[r] = (uint64_t)p[r] << shift;
        } else {
            for (size_t r = 0; r < n; r++) u[r] |= (uint64_t)p[r] << shift;
        }
        any = 1;
    }
    if (!any) {
        for (size_t r = 0; r < n; r++) u[r] = 0;
    }
}

/* The zigzag undone and the running sums of the delta order, in place; sums[0..2] carry the
 * running sums of orders 1-3 across chunks. */
static void integrate(uint64_t *u, size_t n, unsigned order, uint64_t sums[3]) {
    uint64_t s1 = sums[0], s2 = sums[1], s3 = sums[2];
    switch (order) {
    case 0:
        for (size_t r = 0; r < n; r++) u[r] = (u[r] >> 1) ^ (0 - (u[r] & 1));
        break;
    case 1:
        for (size_t r = 0; r < n; r++) {
            s1 += (u[r] >> 1) ^ (0 - (u[r] & 1));
            u[r] = s1;
        }
        break;
    case 2:
        for (size_t r = 0; r < n; r++) {
            s1 += (u[r] >> 1) ^ (0 - (u[r] & 1));
            s2 += s1;
            u[r] = s2;
        }
        break;
    default:
        for (size_t r = 0; r < n; r++) {
            s1 += (u[r] >> 1) ^ (0 - (u[r] & 1));
            s2 += s1;
            s3 += s2;
            u[r] = s3;
        }
        break;
    }
    sums[0] = s1;
    sums[1] = s2;
    sums[2] = s3;
}

/* Decode the asked columns of one block.
 *   planes:   8 pointers to byte planes (n_cols * n_rows bytes each, column-major) or NULL
 *             for an all-zero plane;
 *   head:     the block's head frame, whose bytes from orders_at are the delta order of every
 *             column (0-3);
 *   cols:     the n_sel asked columns; scale: each asked column's resolution;
 *   first:    if not NULL, the first asked column goes there (double, n_rows) and the others
 *             to out's rows 0..n_sel-2; else all to out's rows 0..n_sel-1;
 *   out:      float (out_double == 0) or double rows, row i starting at out + i * out_stride
 *             elements.
 * Returns 0, or -1 (nothing written) if any column's delta order is above 3 or an asked column
 * is outside 0..n_cols-1: the caller's numpy decoder then reports it.
 */
GW_EXPORT int gw_decode_block(const uint8_t *const planes[8], size_t n_rows, size_t n_cols,
                              const uint8_t *head, size_t orders_at, const int64_t *cols,
                              size_t n_sel, const double *scale, double *first, void *out,
                              int out_double, size_t out_stride) {
    const uint8_t *orders = head + orders_at;
    for (size_t c = 0; c < n_cols; c++) {
        if (orders[c] > 3) return -1;
    }
    for (size_t i = 0; i < n_sel; i++) {
        if (cols[i] < 0 || (size_t)cols[i] >= n_cols) return -1;
    }
    uint64_t buf[CHUNK];
    const int64_t *q = (const int64_t *)buf;
    for (size_t i = 0; i < n_sel; i++) {
        const size_t col = (size_t)cols[i];
        const unsigned order = orders[col];
        const double s = scale[i];
        const size_t row = first != NULL ? i - 1 : i;
        uint64_t sums[3] = {0, 0, 0};
        for (size_t at = 0; at < n_rows; at += CHUNK) {
            const size_t n = n_rows - at < CHUNK ? n_rows - at : CHUNK;
            assemble(planes, col * n_rows + at, n, buf);
            integrate(buf, n, order, sums);
            if (first != NULL && i == 0) {
                double *o = first + at;
                for (size_t r = 0; r < n; r++) o[r] = (double)q[r] * s;
            } else if (out_double) {
                double *o = (double *)out + row * out_stride + at;
                for (size_t r = 0; r < n; r++) o[r] = (double)q[r] * s;
            } else {
                float *o = (float *)out + row * out_stride + at;
                for (size_t r = 0; r < n; r++) o[r] = (float)((double)q[r] * s);
            }
        }
    }
    return 0;
}
