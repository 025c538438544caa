/* Second-order-section IIR filtering of several float32 channels in lockstep, in place.
 *
 * Why: scipy.signal.sosfilt runs one channel at a time, one sample after another; each
 * sample waits for the one before (the sections' state is a chain of dependent multiplies
 * and adds), so a pass over a 30-minute channel takes ~13 ms whatever the number of
 * sections, with the CPU's arithmetic units mostly idle. Channels are independent: here up
 * to 8 run in the lanes of one vector (GNU C vector extensions; plain SSE on x86-64), so 8
 * channels cost about what 1.5 cost before.
 *
 * Arithmetic: per lane exactly scipy's _sosfilt loop, in float, in the same order:
 *     y  = b0*x + z0
 *     z0 = (b1*x - a1*y) + z1
 *     z1 = b2*x - a2*y
 * (a0 is 1: scipy requires it). Vector float operations are IEEE per lane, so each channel
 * gets scipy's numbers bit for bit (a property test compares them). Compile without
 * -ffast-math and with -ffp-contract=off (no fused multiply-adds).
 *
 * Plain C with no Python API: loaded with ctypes (which releases the GIL during the call),
 * built by the package build (hatch_build.py) beside the recording decoder.
 */
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define GW_EXPORT __declspec(dllexport)
#else
#define GW_EXPORT __attribute__((visibility("default")))
#endif

/* ABI version: the Python side refuses a library whose version it does not know. */
GW_EXPORT int gw_filter_abi(void) { return 1; }

#define MAX_LANES 8
#define MAX_SECTIONS 16

typedef float v4f __attribute__((vector_size(4 * sizeof(float))));
typedef float v8f __attribute__((vector_size(8 * sizeof(float))));

/* One lockstep pass for vectors of type VT with W lanes: the channels x[0..lanes-1] of n
 * samples, forward (step 1 from 0) or backward (step -1 from n-1), starting from zi (lanes x
 * sections x 2, updated to the final state). Missing lanes compute on a copy of lane 0 and
 * are never stored. */
#define DEFINE_PASS(NAME, VT, W)                                                              \
    static void NAME(float *const *x, int64_t n, int lanes, const float *sos, int n_sections, \
                     float *zi, int backward) {                                               \
        VT b0[MAX_SECTIONS], b1[MAX_SECTIONS], b2[MAX_SECTIONS], a1[MAX_SECTIONS];            \
        VT a2[MAX_SECTIONS], z0[MAX_SECTIONS], z1[MAX_SECTIONS];                              \
        float *p[W];                                                                          \
        for (int k = 0; k < W; k++) p[k] = x[k < lanes ? k : 0];                              \
        for (int s = 0; s < n_sections; s++) {                                                \
            for (int k = 0; k < W; k++) {                                                     \
                int lane = k < lanes ? k : 0;                                                 \
                b0[s][k] = sos[6 * s];                                                        \
                b1[s][k] = sos[6 * s + 1];                                                    \
                b2[s][k] = sos[6 * s + 2];                                                    \
                a1[s][k] = sos[6 * s + 4];                                                    \
                a2[s][k] = sos[6 * s + 5];                                                    \
                z0[s][k] = zi[(lane * n_sections + s) * 2];                                   \
                z1[s][k] = zi[(lane * n_sections + s) * 2 + 1];                               \
            }                                                                                 \
        }                                                                                     \
        int64_t at = backward ? n - 1 : 0;                                                    \
        const int64_t step = backward ? -1 : 1;                                               \
        for (int64_t i = 0; i < n; i++, at += step) {                                         \
            VT cur;                                                                           \
            for (int k = 0; k < W; k++) cur[k] = p[k][at];                                    \
            for (int s = 0; s < n_sections; s++) {                                            \
                VT y = b0[s] * cur + z0[s];                                                   \
                z0[s] = b1[s] * cur - a1[s] * y + z1[s];                                      \
                z1[s] = b2[s] * cur - a2[s] * y;                                              \
                cur = y;                                                                      \
            }                                                                                 \
            for (int k = 0; k < lanes; k++) p[k][at] = cur[k];                                \
        }                                                                                     \
        for (int s = 0; s < n_sections; s++) {                                                \
            for (int k = 0; k < lanes; k++) {                                                 \
                zi[(k * n_sections + s) * 2] = z0[s][k];                                      \
                zi[(k * n_sections + s) * 2 + 1] = z1[s][k];                                  \
            }                                                                                 \
        }                                                                                     \
    }

DEFINE_PASS(pass4, v4f, 4)
DEFINE_PASS(pass8, v8f, 8)

/* Filter `lanes` (1-8) channels of n samples each in place through n_sections (1-16)
 * second-order sections (sos: n_sections x 6, row-major, a0 = 1), forward when backward is
 * 0, else from the last sample to the first. Returns 0, or 1 (nothing done) for arguments
 * out of range. */
GW_EXPORT int gw_sosfilt_lanes(float *const *x, int64_t n, int lanes, const float *sos,
                               int n_sections, float *zi, int backward) {
    if (lanes < 1 || lanes > MAX_LANES || n_sections < 1 || n_sections > MAX_SECTIONS || n < 0)
        return 1;
    if (lanes <= 4)
        pass4(x, n, lanes, sos, n_sections, zi, backward);
    else
        pass8(x, n, lanes, sos, n_sections, zi, backward);
    return 0;
}
