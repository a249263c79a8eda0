// l1emu layer library: a per-element quantizer (trigger/nn/emulate.py::_quantize_fixed), as hls4ml 1.3
// writes an HGQ2 quantizer: every element cast to its own ap_[u]fixed<W_j,I_j,Q,O> by the real ap_types,
// then (exactly) to res_T; a pruned element is 0.  The casts are rendered into CONFIG_T::apply, one line
// per element (the types differ per element, so there is no loop over one type).
#ifndef L1T_QUANTIZE_H_
#define L1T_QUANTIZE_H_

#include "l1t_common.h"

namespace l1t {

template <class data_T, class res_T, typename CONFIG_T>
void quantize(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS INLINE
  CONFIG_T::template apply<data_T, res_T>(data, res);
}

template <class data_T, class res_T, typename CONFIG_T>
void quantize(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream) {
  typename data_T::value_type data[CONFIG_T::n_in];
  typename res_T::value_type res[CONFIG_T::n_in];
#pragma HLS ARRAY_PARTITION variable = data complete
#pragma HLS ARRAY_PARTITION variable = res complete
  unpack(data_stream.read(), data);
  quantize<typename data_T::value_type, typename res_T::value_type, CONFIG_T>(data, res);
  res_T out;
  pack(res, out);
  res_stream.write(out);
}

}  // namespace l1t

#endif
