// l1emu layer library: relu, linear, hard sigmoid and hard tanh (element-wise, no table).
//   linear: res = x             (C++ assignment: res_T's rounding and overflow)
//   relu:   res = x > 0 ? x : 0 (then the same assignment)
//   hard_sigmoid: s = slope * x + shift, exact in ap_types' product and sum types, clamped to [0, 1],
//                 then res = s; hard_tanh: res = 2 * s - 1 (exact before the assignment).  As hls4ml's
//                 nnet::hard_sigmoid / hard_tanh; _hard_fixed in trigger/nn/emulate.py, step for step.
//                 CONFIG_T gives slope_t, shift_t and the constants' raw bits slope_raw, shift_raw.
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

// CONFIG_T::twice_minus_one: false for hard_sigmoid, true for hard_tanh
template <typename CONFIG_T, class data_T, class out_T>
inline void hard_clamped(const data_T& x, out_T& out) {
#pragma HLS INLINE
  const typename CONFIG_T::slope_t slope = from_raw<typename CONFIG_T::slope_t>(CONFIG_T::slope_raw);
  const typename CONFIG_T::shift_t shift = from_raw<typename CONFIG_T::shift_t>(CONFIG_T::shift_raw);
  auto s = slope * x + shift;
  if (s > 1) {
    s = 1;
  } else if (s < 0) {
    s = 0;
  }
  if (CONFIG_T::twice_minus_one) {
    out = 2 * s - 1;
  } else {
    out = s;
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void hard_sigmoid(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS PIPELINE
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) hard_clamped<CONFIG_T>(data[i], res[i]);
}

template <class data_T, class res_T, typename CONFIG_T>
void hard_tanh(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
  hard_sigmoid<data_T, res_T, CONFIG_T>(data, res);
}

template <class data_T, class res_T, typename CONFIG_T>
void hard_sigmoid(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream) {
#pragma HLS PIPELINE
  const data_T in = data_stream.read();
  res_T out;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) hard_clamped<CONFIG_T>(in[i], out[i]);
  res_stream.write(out);
}

template <class data_T, class res_T, typename CONFIG_T>
void hard_tanh(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream) {
  hard_sigmoid<data_T, res_T, CONFIG_T>(data_stream, res_stream);
}

}  // namespace l1t

#endif
