// l1emu layer library: what every layer header needs.
// Sizes and types come from each layer's CONFIG_T struct (rendered into parameters.h);
// nothing here knows a concrete model.
#ifndef L1T_COMMON_H_
#define L1T_COMMON_H_

#include <ap_fixed.h>
#include <ap_int.h>
#include <hls_stream.h>

#include <cstddef>
#include <cstdint>

namespace l1t {

#define L1T_DIV_ROUNDUP(n, d) (((n) + (d) - 1) / (d))

enum strategy { latency, resource };
enum accumulation { accum_exact, accum_hls4ml };

// A whole vector travelling as one io_stream token.
template <class T, unsigned N>
struct array {
  typedef T value_type;
  static const unsigned size = N;
  T data[N];
  T& operator[](std::size_t i) { return data[i]; }
  const T& operator[](std::size_t i) const { return data[i]; }
};

// io_stream: a token's values to a plain array and back (wires, no logic), for layers whose
// io_stream form calls their io_parallel one.
template <class pack_T>
inline void unpack(const pack_T& in, typename pack_T::value_type data[pack_T::size]) {
#pragma HLS INLINE
  for (unsigned i = 0; i < pack_T::size; i++) {
#pragma HLS UNROLL
    data[i] = in[i];
  }
}

template <class pack_T>
inline void pack(const typename pack_T::value_type res[pack_T::size], pack_T& out) {
#pragma HLS INLINE
  for (unsigned i = 0; i < pack_T::size; i++) {
#pragma HLS UNROLL
    out[i] = res[i];
  }
}

// A value of T from its raw bits (two's complement, low T::width bits of word): how weights,
// biases and table entries are stored (plain integer arrays; a reinterpretation, no logic).
template <class T, class word_T>
inline T from_raw(const word_T word) {
#pragma HLS INLINE
  T value;
  value.range() = word;
  return value;
}

// Table index from the RAW integer bits of x: clamp((raw - lo_raw) >> shift, 0, size - 1).
// TABLE_T gives in_t (the input type), raw_t (ap_int<W> or ap_uint<W> of the same width),
// diff_t (signed, holds raw + 2**shift - lo_raw for every raw), lo_raw, shift, toward_zero and size.
// toward_zero: a negative raw is raised by 2**shift - 1 first, so the shift truncates towards zero
// (hls4ml's int(x * N / 16) index).
// This is LookupTable.index in trigger/nn/layers.py, step for step.
template <class TABLE_T>
inline unsigned table_index(const typename TABLE_T::in_t& x) {
#pragma HLS INLINE
  const long long lo_raw = TABLE_T::lo_raw;  // local copies: no out-of-class definitions needed
  const int shift = TABLE_T::shift;
  const int last = TABLE_T::size - 1;
  typename TABLE_T::raw_t raw = x.range();
  typename TABLE_T::diff_t d = raw;
  if (TABLE_T::toward_zero && d < 0) d += (typename TABLE_T::diff_t(1) << shift) - 1;
  d -= lo_raw;
  d >>= shift;  // arithmetic shift of a signed ap_int: floor, as numpy's >>
  if (d < 0) return 0;
  if (d > last) return last;
  return d.to_uint();
}

}  // namespace l1t

#endif
