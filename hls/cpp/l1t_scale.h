// l1emu layer library: firmware input scaling (trigger/nn/emulate.py::_scale_fixed), as CMS's AXOL1TL does it.
//   scale_t tmp = x[i] - offset[i];   exact difference, assigned to scale_t (its rounding and overflow)
//   tmp = tmp >> shift[i];            ap_fixed's shift: same type, raw bits shifted arithmetically
//   res[i] = tmp;                     assigned to res_T (its rounding and overflow)
// Offsets are raw words of scale_t (l1t::from_raw), shifts small unsigned integers: both constants.
#ifndef L1T_SCALE_H_
#define L1T_SCALE_H_

#include "l1t_common.h"

namespace l1t {

template <class data_T, class res_T, typename CONFIG_T>
void scale(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
           const typename CONFIG_T::offset_word_t offsets[CONFIG_T::n_in],
           const typename CONFIG_T::shift_word_t shifts[CONFIG_T::n_in]) {
#pragma HLS PIPELINE
#pragma HLS ARRAY_PARTITION variable = offsets complete
#pragma HLS ARRAY_PARTITION variable = shifts complete
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    typename CONFIG_T::scale_t tmp = data[i] - from_raw<typename CONFIG_T::scale_t>(offsets[i]);
    tmp = tmp >> static_cast<unsigned>(shifts[i]);
    res[i] = tmp;
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void scale(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream,
           const typename CONFIG_T::offset_word_t offsets[CONFIG_T::n_in],
           const typename CONFIG_T::shift_word_t shifts[CONFIG_T::n_in]) {
  typename data_T::value_type data[CONFIG_T::n_in];
  typename res_T::value_type res[CONFIG_T::n_in];
#pragma HLS ARRAY_PARTITION variable = data complete
#pragma HLS ARRAY_PARTITION variable = res complete
  unpack(data_stream.read(), data);
  scale<typename data_T::value_type, typename res_T::value_type, CONFIG_T>(data, res, offsets, shifts);
  res_T out;
  pack(res, out);
  res_stream.write(out);
}

}  // namespace l1t

#endif
