// l1emu layer library: sigmoid and tanh by lookup table.
// res = table[table_index(x)], assigned to res_T. The table (CONFIG_T::table_t entries) was
// generated in Python (trigger/nn/tables.py) and is written into the project as constants.
#ifndef L1T_TABLE_ACTIVATION_H_
#define L1T_TABLE_ACTIVATION_H_

#include "l1t_common.h"

namespace l1t {

template <class data_T, class res_T, typename CONFIG_T>
void table_activation(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                      const typename CONFIG_T::table::word_t table[CONFIG_T::table::size]) {
#pragma HLS PIPELINE
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    res[i] = from_raw<typename CONFIG_T::table::table_t>(table[table_index<typename CONFIG_T::table>(data[i])]);
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void table_activation(hls::stream<data_T>& data_stream, hls::stream<res_T>& res_stream,
                      const typename CONFIG_T::table::word_t table[CONFIG_T::table::size]) {
#pragma HLS PIPELINE
  const data_T in = data_stream.read();
  res_T out;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    out[i] = from_raw<typename CONFIG_T::table::table_t>(table[table_index<typename CONFIG_T::table>(in[i])]);
  }
  res_stream.write(out);
}

}  // namespace l1t

#endif
