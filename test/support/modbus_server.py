"""A real Modbus TCP server for tests and benchmarks (pymodbus 3.0).

Usage: python3 modbus_server.py SPEC.json
SPEC: {"units": {"<unit id>": {"holding": [[address, word], ...], "input": [[address, word], ...]}}}
Addresses are wire addresses (zero_mode). Registers not listed answer with exception 2, as a
real device does for addresses it does not have. Listens on 127.0.0.1 on a free port and prints
"READY <port>" once accepting; runs until killed.
"""
import asyncio
import json
import logging
import sys

from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.server.async_io import ModbusTcpServer


def block(pairs):
    values = {int(a): int(w) & 0xFFFF for a, w in pairs}
    # A sparse block cannot be empty; an address no test reads stands in.
    return ModbusSparseDataBlock(values or {65535: 0})


async def main(spec_path):
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    slaves = {
        int(unit): ModbusSlaveContext(
            hr=block(tables.get("holding", [])),
            ir=block(tables.get("input", [])),
            co=block([]),
            di=block([]),
            zero_mode=True,
        )
        for unit, tables in spec["units"].items()
    }
    context = ModbusServerContext(slaves=slaves, single=False)
    server = ModbusTcpServer(context, address=("127.0.0.1", 0), allow_reuse_address=True)
    serving = asyncio.ensure_future(server.serve_forever())
    while server.server is None:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    port = server.server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    await serving


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(sys.argv[1]))
