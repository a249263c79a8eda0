// l1emu layer library: relu and linear (element-wise, no table).
//   linear: res = x             (C++ assignment: res_T's rounding and overflow)
//   relu:   res = x > 0 ? x : 0 (then the same assignment)
#ifndef L1T_ACTIVATION_H_
#define L1T_ACTIVATION_H_

#include "l1t_common.h"

namespace l1t {

template <class data_T, class res_T, typename CONFIG_T>
void linear(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS PIPELINE
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = data[i];
}

template <class data_T, class res_T, typename CONFIG_T>
void relu(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS PIPELINE
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    if (data[i] > 0) {
      res[i] = data[i];
    } else {
      res[i] = 0;
    }
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void linear(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream) {
#pragma HLS PIPELINE
  const data_T in = data_stream.read();
  res_T out;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) out[i] = in[i];
  res_stream.write(out);
}

template <class data_T, class res_T, typename CONFIG_T>
void relu(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream) {
#pragma HLS PIPELINE
  const data_T in = data_stream.read();
  res_T out;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    if (in[i] > 0) {
      out[i] = in[i];
    } else {
      out[i] = 0;
    }
  }
  res_stream.write(out);
}

}  // namespace l1t

#endif
