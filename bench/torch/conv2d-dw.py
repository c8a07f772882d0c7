"""PyTorch twin of bench/models/conv2d-grad.ts's conv2d-dw: the filter gradient (see conv2d_grad.py)."""
from conv2d_grad import main

main('conv2d-dw')
