% The digits bundle: two handwritten digits, `left` and `right`, each an 8x8 image that a CNN
% reads; rules over the pair. The decision is their sum, result(s0) ... result(s18); a second
% task says which digit is larger, larger(left), larger(right) or larger(neither).
% The digits are integers 0..9, so the rules do arithmetic on them; the decision's labels are
% atoms (sN for the sum N) because bundle labels are names.

:- use_module(library(lists)).

%! id: read_digit
%! text: A convolutional network reads each 8x8 image as one of the digits 0 to 9
%! source: scikit-learn's handwritten digits (UCI Optical Recognition of Handwritten Digits);
%!   the CNN in models/digit, trained and calibrated by train.py
nn(digit, [X], Y, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) :: digit(X, Y).

%! id: digit_sum
%! text: The sum of the two digits
%! source: task definition: the MNIST-addition benchmark (Manhaeve et al., DeepProbLog,
%!   NeurIPS 2018), here on scikit-learn's 8x8 digits
sum(S) :- digit(left, A), digit(right, B), S is A + B.

%! id: name_sum
%! text: The answer is the sum N, named sN (s0 to s18)
%! source: digits bundle: decision labels (bundle.toml)
result(Label) :-
    sum(S),
    nth0(S, [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9,
             s10, s11, s12, s13, s14, s15, s16, s17, s18], Label).

%! id: left_larger
%! text: The left digit is larger than the right one
%! source: task definition: digits bundle, second task (which of the two digits is larger)
larger(left) :- digit(left, A), digit(right, B), A > B.

%! id: right_larger
%! text: The right digit is larger than the left one
%! source: task definition: digits bundle, second task (which of the two digits is larger)
larger(right) :- digit(left, A), digit(right, B), B > A.

%! id: same_digit
%! text: Neither digit is larger: both are the same digit
%! source: task definition: digits bundle, second task (which of the two digits is larger)
larger(neither) :- digit(left, A), digit(right, B), A =:= B.

query(result(_)).
query(larger(_)).
