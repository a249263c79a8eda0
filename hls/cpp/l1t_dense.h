// l1emu layer library: dense layer y = x W + b.
//
// Weights and biases are raw words (l1t::from_raw). Weights are flattened input-major: weights[i * n_out + j] multiplies input i into output j.
// Two strategies (CONFIG_T::strategy) and two accumulations (CONFIG_T::accumulation):
//   accum_exact : acc (exact_t, wide enough for every partial sum) = bias, acc += x*w (full
//                 precision), then accum_t a = acc, then res = a.
//   accum_hls4ml: acc (accum_t) = bias, acc += (accum_t)(x*w) in input order, then res = acc.
// Both strategies add the products of each output in increasing input index, so a saturating
// accum_t gives the same bits whichever strategy or reuse factor is chosen; except accum_hls4ml with
// Resource and R < n_in, which adds in hls4ml's order (dense_resource, trigger/nn/hls4ml_rules.py).
#ifndef L1T_DENSE_H_
#define L1T_DENSE_H_

#include "l1t_common.h"

namespace l1t {

template <class CONFIG_T, int ACCUMULATION>
struct dense_acc;

template <class CONFIG_T>
struct dense_acc<CONFIG_T, accum_exact> {
  typedef typename CONFIG_T::exact_t acc_t;
  template <class data_T>
  static inline void mac(acc_t& acc, const data_T& x, const typename CONFIG_T::weight_word_t w) {
#pragma HLS INLINE
    acc += x * from_raw<typename CONFIG_T::weight_t>(w);  // no more fraction bits than exact_t: exact
  }
  template <class res_T>
  static inline void finish(const acc_t& acc, res_T& res) {
#pragma HLS INLINE
    typename CONFIG_T::accum_t a = acc;
    res = a;
  }
};

template <class CONFIG_T>
struct dense_acc<CONFIG_T, accum_hls4ml> {
  typedef typename CONFIG_T::accum_t acc_t;
  template <class data_T>
  static inline void mac(acc_t& acc, const data_T& x, const typename CONFIG_T::weight_word_t w) {
#pragma HLS INLINE
    typename CONFIG_T::accum_t product = x * from_raw<typename CONFIG_T::weight_t>(w);
    acc += product;
  }
  template <class res_T>
  static inline void finish(const acc_t& acc, res_T& res) {
#pragma HLS INLINE
    res = acc;
  }
};

// Latency: every multiplication unrolled; with reuse_factor > 1 the pipeline II and the
// multiplier allocation let HLS share each multiplier reuse_factor times.
template <class data_T, class res_T, typename CONFIG_T>
void dense_latency(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                   const typename CONFIG_T::weight_word_t weights[CONFIG_T::n_in * CONFIG_T::n_out],
                   const typename CONFIG_T::bias_word_t biases[CONFIG_T::n_out]) {
  typedef dense_acc<CONFIG_T, CONFIG_T::accumulation> policy;
  const int multiplier_limit = CONFIG_T::multiplier_limit;
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = weights complete
#pragma HLS ARRAY_PARTITION variable = biases complete
#pragma HLS ALLOCATION operation instances = mul limit = multiplier_limit
  typename policy::acc_t acc[CONFIG_T::n_out];
#pragma HLS ARRAY_PARTITION variable = acc complete
InitAccum:
  for (unsigned j = 0; j < CONFIG_T::n_out; j++) acc[j] = from_raw<typename CONFIG_T::bias_t>(biases[j]);
Product1:
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
  Product2:
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
      policy::mac(acc[j], data[i], weights[i * CONFIG_T::n_out + j]);
    }
  }
Result:
  for (unsigned j = 0; j < CONFIG_T::n_out; j++) policy::finish(acc[j], res[j]);
}

// Resource: n_in * n_out products cut into reuse_factor consecutive chunks of
// block_factor = ceil(n_in * n_out / reuse_factor); one chunk per clock (II = 1), so each of
// the block_factor multipliers is used reuse_factor times. The last chunk may be short (any
// reuse factor of valid_reuse_factors works, e.g. 30x25 with RF 4: chunks of 188, last 186).
// The weights are reshaped cyclically by block_factor: chunk r reads word r of every bank.
// Multiplier m of chunk r computes product k = r * block_factor + m, i.e. input k / n_out into
// output k % n_out: indices are functions of the loop variables (fixed wiring: an RF-to-1 input
// multiplexer per multiplier, as in hls4ml's kernel), never counters carried between iterations
// (which would make every multiplier reach every input and accumulator through a crossbar).
template <class data_T, class res_T, typename CONFIG_T>
void dense_resource(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                    const typename CONFIG_T::weight_word_t weights[CONFIG_T::n_in * CONFIG_T::n_out],
                    const typename CONFIG_T::bias_word_t biases[CONFIG_T::n_out]) {
  typedef dense_acc<CONFIG_T, CONFIG_T::accumulation> policy;
  const unsigned n_mult = CONFIG_T::n_in * CONFIG_T::n_out;
  const unsigned block_factor = CONFIG_T::block_factor;
#pragma HLS ARRAY_RESHAPE variable = weights cyclic factor = block_factor
#pragma HLS ALLOCATION operation instances = mul limit = block_factor
#pragma HLS ARRAY_PARTITION variable = data complete
#pragma HLS ARRAY_PARTITION variable = biases complete
  typename policy::acc_t acc[CONFIG_T::n_out];
#pragma HLS ARRAY_PARTITION variable = acc complete
InitAccum:
  for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
#pragma HLS UNROLL
    acc[j] = from_raw<typename CONFIG_T::bias_t>(biases[j]);
  }
ReuseLoop:
  for (unsigned r = 0; r < CONFIG_T::reuse_factor; r++) {
#pragma HLS PIPELINE II = 1 rewind
  MultLoop:
    for (unsigned m = 0; m < block_factor; m++) {
#pragma HLS UNROLL
      if (CONFIG_T::accumulation == accum_hls4ml && CONFIG_T::reuse_factor < CONFIG_T::n_in) {
        // hls4ml's dense_resource_rf_leq_nin (its reuse factors make block_factor = n_out * per_output):
        // output m / per_output, input r + R (m % per_output), the order of trigger/nn/hls4ml_rules.py
        // resource_input_order.
        const unsigned per_output = CONFIG_T::n_in / CONFIG_T::reuse_factor;
        const unsigned j = m / per_output, i = r + CONFIG_T::reuse_factor * (m % per_output);
        policy::mac(acc[j], data[i], weights[i * CONFIG_T::n_out + j]);
      } else {
        const unsigned k = r * block_factor + m;
        if (k < n_mult) policy::mac(acc[k % CONFIG_T::n_out], data[k / CONFIG_T::n_out], weights[k]);
      }
    }
  }
Result:
  for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
#pragma HLS UNROLL
    policy::finish(acc[j], res[j]);
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void dense(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
           const typename CONFIG_T::weight_word_t weights[CONFIG_T::n_in * CONFIG_T::n_out],
           const typename CONFIG_T::bias_word_t biases[CONFIG_T::n_out]) {
#pragma HLS INLINE
  if (CONFIG_T::strategy == resource) {
    dense_resource<data_T, res_T, CONFIG_T>(data, res, weights, biases);
  } else {
    dense_latency<data_T, res_T, CONFIG_T>(data, res, weights, biases);
  }
}

// io_stream: one token holds the whole input vector (l1t::array), one token the output.
template <class data_T, class res_T, typename CONFIG_T>
void dense(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream,
           const typename CONFIG_T::weight_word_t weights[CONFIG_T::n_in * CONFIG_T::n_out],
           const typename CONFIG_T::bias_word_t biases[CONFIG_T::n_out]) {
  typename data_T::value_type data[CONFIG_T::n_in];
  typename res_T::value_type res[CONFIG_T::n_out];
#pragma HLS ARRAY_PARTITION variable = data complete
#pragma HLS ARRAY_PARTITION variable = res complete
  unpack(data_stream.read(), data);
  dense<typename data_T::value_type, typename res_T::value_type, CONFIG_T>(data, res, weights, biases);
  res_T out;
  pack(res, out);
  res_stream.write(out);
}

}  // namespace l1t

#endif
