// l1emu layer library: softmax by two tables (trigger/nn/emulate.py::_softmax_fixed).
//   stable : e_i = exp_table[index(x_max - x_i)], the difference held exactly in exp::in_t
//   latency: e_i = exp_table[index(x_i)]
//   sum = e_0 + ... + e_{n-1} exactly in sum_t (same fraction bits as the table, log2(n) more
//   integer bits); inv = inv_table[index(sum)]; res_i = e_i * inv (full product, then res_T).
#ifndef L1T_SOFTMAX_H_
#define L1T_SOFTMAX_H_

#include "l1t_common.h"

namespace l1t {

template <class data_T, class res_T, typename CONFIG_T>
void softmax(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
             const typename CONFIG_T::exp::word_t exp_table[CONFIG_T::exp::size],
             const typename CONFIG_T::inv::word_t inv_table[CONFIG_T::inv::size]) {
#pragma HLS PIPELINE
  typename CONFIG_T::exp::table_t e[CONFIG_T::n_in];
#pragma HLS ARRAY_PARTITION variable = e complete
  if (CONFIG_T::stable) {
    data_T x_max = data[0];
    for (unsigned i = 1; i < CONFIG_T::n_in; i++) {
      if (data[i] > x_max) x_max = data[i];
    }
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
      typename CONFIG_T::exp::in_t d = x_max - data[i];  // >= 0, exact
      e[i] = from_raw<typename CONFIG_T::exp::table_t>(exp_table[table_index<typename CONFIG_T::exp>(d)]);
    }
  } else {
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
      e[i] = from_raw<typename CONFIG_T::exp::table_t>(exp_table[table_index<typename CONFIG_T::exp>(data[i])]);
    }
  }
  typename CONFIG_T::inv::in_t sum = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) sum += e[i];  // exact: sum_t cannot overflow
  const typename CONFIG_T::inv::table_t inv =
      from_raw<typename CONFIG_T::inv::table_t>(inv_table[table_index<typename CONFIG_T::inv>(sum)]);
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = e[i] * inv;
}

template <class data_T, class res_T, typename CONFIG_T>
void softmax(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream,
             const typename CONFIG_T::exp::word_t exp_table[CONFIG_T::exp::size],
             const typename CONFIG_T::inv::word_t inv_table[CONFIG_T::inv::size]) {
  typename data_T::value_type data[CONFIG_T::n_in];
  typename res_T::value_type res[CONFIG_T::n_in];
#pragma HLS ARRAY_PARTITION variable = data complete
#pragma HLS ARRAY_PARTITION variable = res complete
  unpack(data_stream.read(), data);
  softmax<typename data_T::value_type, typename res_T::value_type, CONFIG_T>(data, res, exp_table, inv_table);
  res_T out;
  pack(res, out);
  res_stream.write(out);
}

}  // namespace l1t

#endif
