// l1emu layer library: the sum of all inputs (trigger/nn/emulate.py::_sum_fixed), e.g. a fixed-point HT.
//   sum_t acc = x[0] + ... + x[n-1]   exact: sum_t has ceil(log2 n) more integer bits than data_T
//   res[0] = acc;                     one assignment to res_T (its rounding and overflow)
// Exact, so the order of the additions does not matter: HLS is free to build a balanced adder tree.
#ifndef L1T_SUM_H_
#define L1T_SUM_H_

#include "l1t_common.h"

namespace l1t {

template <class data_T, class res_T, typename CONFIG_T>
void sum(const data_T data[CONFIG_T::n_in], res_T res[1]) {
#pragma HLS PIPELINE
  typename CONFIG_T::sum_t acc = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) acc += data[i];
  res[0] = acc;
}

template <class data_T, class res_T, typename CONFIG_T>
void sum(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream) {
  typename data_T::value_type data[CONFIG_T::n_in];
  typename res_T::value_type res[1];
#pragma HLS ARRAY_PARTITION variable = data complete
  const data_T in = data_stream.read();
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {  // wires, not a loop
#pragma HLS UNROLL
    data[i] = in[i];
  }
  sum<typename data_T::value_type, typename res_T::value_type, CONFIG_T>(data, res);
  res_T out;
  out[0] = res[0];
  res_stream.write(out);
}

// The sum of the squares of all inputs (trigger/nn/layers.py::SquareSumLayer, emulated by
// trigger/nn/emulate.py::_square_sum_fixed), e.g. an anomaly score: sum of mu^2, or the squared
// reconstruction error.
//   square_t sq = x[i] * x[i]         exact: square_t = ap_ufixed<2W-1, 2I-1> (signed data_T)
//   sum_t acc = sq[0] + ... + sq[n-1] exact: ceil(log2 n) more integer bits
//   res[0] = acc;                     one assignment to res_T (its rounding and overflow)
template <class data_T, class res_T, typename CONFIG_T>
void square_sum(const data_T data[CONFIG_T::n_in], res_T res[1]) {
#pragma HLS PIPELINE
  typename CONFIG_T::sum_t acc = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    typename CONFIG_T::square_t sq = data[i] * data[i];
    acc += sq;
  }
  res[0] = acc;
}

template <class data_T, class res_T, typename CONFIG_T>
void square_sum(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream) {
  typename data_T::value_type data[CONFIG_T::n_in];
  typename res_T::value_type res[1];
#pragma HLS ARRAY_PARTITION variable = data complete
  const data_T in = data_stream.read();
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) data[i] = in[i];
  square_sum<typename data_T::value_type, typename res_T::value_type, CONFIG_T>(data, res);
  res_T out;
  out[0] = res[0];
  res_stream.write(out);
}

// The squared difference of the inputs and an earlier layer's outputs (trigger/nn/layers.py::SquareErrorLayer,
// emulated by trigger/nn/emulate.py::_square_error_fixed), e.g. an autoencoder's reconstruction error: the
// scaled inputs (ref) against their reconstruction (data).
//   diff_t d = ref[i] - data[i]       exact: ap_types' difference type
//   then as square_sum on d: each square exact in square_t, the sum exact in sum_t, one assignment to res_T
// io_parallel only (an io_stream top would have to clone the reference stream).
template <class data_T, class ref_T, class res_T, typename CONFIG_T>
void square_error(const data_T data[CONFIG_T::n_in], const ref_T ref[CONFIG_T::n_in], res_T res[1]) {
#pragma HLS PIPELINE
  typename CONFIG_T::sum_t acc = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    typename CONFIG_T::diff_t d = ref[i] - data[i];
    typename CONFIG_T::square_t sq = d * d;
    acc += sq;
  }
  res[0] = acc;
}

}  // namespace l1t

#endif
