#include "sim/hw.h"

namespace crashdiff {

bool CpuHw::Pending(Source s) const {
  switch (s) {
    case Source::kReset: return reset;
    case Source::kMce: return mce;
    case Source::kHmi: return hmi;
    case Source::kNmi: return nmi;
    case Source::kSmi: return smi;
    case Source::kInit: return init;
    case Source::kHdoorbell: return doorbell;
    // XICS presents an interrupt while the IPI register or a device source is more favoured than "none".
    case Source::kExternal: return mfrr != kMfrrNone || !device_pending.empty();
    case Source::kHvi: return !xive_queue.empty();
    case Source::kIpi: return !ipi_vectors.empty();
    case Source::kDec: return dec;
    case Source::kSpurious: return spurious;
    case Source::kMonitor: return monitor_fired;
    case Source::kIsi: return isi;
  }
  return false;
}

void CpuHw::Clear(Source s) {
  switch (s) {
    case Source::kReset: reset = false; break;
    case Source::kMce: mce = false; break;
    case Source::kHmi: hmi = false; break;
    case Source::kNmi: nmi = false; break;
    case Source::kSmi: smi = false; break;
    case Source::kInit: init = false; break;
    case Source::kHdoorbell: doorbell = false; break;
    case Source::kIpi:
      taken_ipi_vectors = ipi_vectors;
      ipi_vectors.clear();
      break;
    case Source::kDec: dec = false; break;
    case Source::kSpurious: spurious = false; break;
    case Source::kMonitor: monitor_fired = false; break;
    case Source::kIsi: isi = false; break;
    // Level sources: only the handler's accept / drain clears them.
    case Source::kExternal:
    case Source::kHvi: break;
  }
}

SourceMask LpcrStopWakes(uint64_t lpcr) {
  SourceMask m = 0;
  if (lpcr & kLpcrPecedh) m |= Bit(Source::kHdoorbell);
  if (lpcr & kLpcrPece0) m |= Bit(Source::kExternal);
  if (lpcr & kLpcrPece1) m |= Bit(Source::kDec);
  if (lpcr & kLpcrPeceHvee) m |= Bit(Source::kHvi);
  return m;
}

}  // namespace crashdiff
