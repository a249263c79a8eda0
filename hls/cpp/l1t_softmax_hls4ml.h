// l1emu layer library: hls4ml 1.3's softmax, bit for bit, for the hls4ml mode
// (trigger/nn/hls4ml_tables.py::softmax_hls4ml_fixed; hls4ml's nnet_activation.h).
//   stable : e_i = accum_t(exp_table[index(norm_t(x_max - x_i))])
//   latency: e_i = accum_t(exp_table[index(x_i)])
//            sum = sum_t(hls4ml's adder tree of the e_i in accum_t); res_i = e_i * inv_table[index(sum)]
//   legacy : t_i = sum_j (i == j ? 1 : exp_table[index(x_j - x_i)]) in accum_t (+= each term);
//            res_i = inv_table[index(t_i)]
//   argmax : 1 at the first maximum, 0 elsewhere
// io_stream: one token in, one out, through the io_parallel function (unpack / pack: l1t_common.h).
#ifndef L1T_SOFTMAX_HLS4ML_H_
#define L1T_SOFTMAX_HLS4ML_H_

#include "l1t_common.h"

namespace l1t {

enum softmax_hls4ml_impl { sm_stable = 0, sm_latency = 1, sm_legacy = 2 };

constexpr int pow2_floor(int n) { return n < 2 ? 1 : 2 * pow2_floor(n / 2); }

// hls4ml's reduce<T, N, Op_add<T>>: the left part holds pow2(floorlog2(N - 1)) terms, every sum cast to T
// (trigger/nn/hls4ml_tables.py::_tree_sum)
template <class T, int N>
struct adder_tree {
  static T sum(const T* x) {
    return T(adder_tree<T, pow2_floor(N - 1)>::sum(x) + adder_tree<T, N - pow2_floor(N - 1)>::sum(x + pow2_floor(N - 1)));
  }
};
template <class T>
struct adder_tree<T, 1> {
  static T sum(const T* x) { return x[0]; }
};

template <class data_T, class res_T, typename CONFIG_T>
void softmax_hls4ml(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                    const typename CONFIG_T::exp::word_t exp_table[CONFIG_T::exp::size],
                    const typename CONFIG_T::inv::word_t inv_table[CONFIG_T::inv::size]) {
#pragma HLS PIPELINE
  typedef typename CONFIG_T::accum_t accum_t;
  accum_t e[CONFIG_T::n_in];
#pragma HLS ARRAY_PARTITION variable = e complete
  data_T x_max = data[0];
  for (unsigned i = 1; i < CONFIG_T::n_in; i++) {
    if (data[i] > x_max) x_max = data[i];
  }
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    typename CONFIG_T::exp::in_t x;
    if (CONFIG_T::implementation == sm_stable) {
      const typename CONFIG_T::diff_t d = x_max - data[i];  // exact, then inp_norm_t (which may wrap)
      x = d;
    } else {
      x = data[i];
    }
    e[i] = from_raw<typename CONFIG_T::exp::table_t>(exp_table[table_index<typename CONFIG_T::exp>(x)]);
  }
  const typename CONFIG_T::inv::in_t sum = adder_tree<accum_t, CONFIG_T::n_in>::sum(e);
  const typename CONFIG_T::inv::table_t inv =
      from_raw<typename CONFIG_T::inv::table_t>(inv_table[table_index<typename CONFIG_T::inv>(sum)]);
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = e[i] * inv;
}

template <class data_T, class res_T, typename CONFIG_T>
void softmax_legacy(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                    const typename CONFIG_T::exp::word_t exp_table[CONFIG_T::exp::size],
                    const typename CONFIG_T::inv::word_t inv_table[CONFIG_T::inv::size]) {
#pragma HLS PIPELINE
  typedef typename CONFIG_T::accum_t accum_t;  // the table type: exp and inverse entries are read as it
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    accum_t total = 0;
    for (unsigned j = 0; j < CONFIG_T::n_in; j++) {
      const typename CONFIG_T::exp::in_t d = data[j] - data[i];  // exact
      total += i == j ? accum_t(1) : from_raw<accum_t>(exp_table[table_index<typename CONFIG_T::exp>(d)]);
    }
    res[i] = from_raw<typename CONFIG_T::inv::table_t>(inv_table[table_index<typename CONFIG_T::inv>(total)]);
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void softmax_argmax(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS PIPELINE
  unsigned best = 0;
  for (unsigned i = 1; i < CONFIG_T::n_in; i++) {
    if (data[i] > data[best]) best = i;
  }
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = i == best ? res_T(1) : res_T(0);
}

// io_stream, the implementations with tables (CONFIG_T::implementation: stable, latency or legacy)
template <class data_T, class res_T, typename CONFIG_T>
void softmax_hls4ml(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream,
                    const typename CONFIG_T::exp::word_t exp_table[CONFIG_T::exp::size],
                    const typename CONFIG_T::inv::word_t inv_table[CONFIG_T::inv::size]) {
  typedef typename data_T::value_type x_T;
  typedef typename res_T::value_type y_T;
  x_T data[CONFIG_T::n_in];
  y_T res[CONFIG_T::n_in];
#pragma HLS ARRAY_PARTITION variable = data complete
#pragma HLS ARRAY_PARTITION variable = res complete
  unpack(data_stream.read(), data);
  if (CONFIG_T::implementation == sm_legacy) {
    softmax_legacy<x_T, y_T, CONFIG_T>(data, res, exp_table, inv_table);
  } else {
    softmax_hls4ml<x_T, y_T, CONFIG_T>(data, res, exp_table, inv_table);
  }
  res_T out;
  pack(res, out);
  res_stream.write(out);
}

template <class data_T, class res_T, typename CONFIG_T>
void softmax_argmax(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream) {
  typename data_T::value_type data[CONFIG_T::n_in];
  typename res_T::value_type res[CONFIG_T::n_in];
#pragma HLS ARRAY_PARTITION variable = data complete
#pragma HLS ARRAY_PARTITION variable = res complete
  unpack(data_stream.read(), data);
  softmax_argmax<typename data_T::value_type, typename res_T::value_type, CONFIG_T>(data, res);
  res_T out;
  pack(res, out);
  res_stream.write(out);
}

}  // namespace l1t

#endif  // L1T_SOFTMAX_HLS4ML_H_
