/*
 * tulipvm: i440FX PCI and Memory Controller (82441FX, "PMC") as a host
 * bridge identity only.
 *
 * Linux's type-1 probe looks on bus 0 for a host bridge (class 0x0600) or
 * an Intel device before trusting configuration mechanism #1, and applies
 * its i440FX quirk.  Nothing else of the chipset is modelled: no PAM
 * shadowing, SMRAM or DRAM row registers (the memory map is fixed by the
 * machine), so those registers read as zero and ignore writes.
 */
#include "devices/i440fx.h"

bool i440fx_init(I440fx *s, PciBus *bus, GError **errp)
{
    /* Revision 0x02 as on 82441FX steppings seen in real boards. */
    if (!pci_device_init(&s->pci, bus, "i440fx", 0, 0, I440FX_VENDOR,
                         I440FX_DEVICE, 0x02, 0x060000, 0, errp)) {
        return false;
    }
    /* A host bridge is always a master and decodes memory. */
    pci_set_word(&s->pci, PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(&s->pci, PCI_STATUS,
                 PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK);
    return true;
}
