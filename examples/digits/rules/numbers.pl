% The digits bundle, third task: what kind of number the sum is — even, odd, prime, a perfect
% square — as the bundle's ontology of numbers says (knowledge/numbers.ttl), not computed here.
% The sum is an integer (sum/1, rules/digits.pl); the graph's numbers (zero ... eighteen) carry
% their integer values, which links the two: value(seven, 7). The graph's facts come with
% every case (bundle.toml: [knowledge] entities = "all"); a rule test can give its own.
%
% The answers are not exclusive (two is even and prime, nine odd and a square), and none is
% the decision: sum_is/1 is queried beside it.

%! id: sum_number
%! text: The sum is the number of the ontology whose value it is
%! source: knowledge/numbers.ttl, num:value
sum_number(N) :- sum(S), value(N, S).

%! id: sum_even
%! text: The sum is an even number
%! source: knowledge/numbers.ttl, num:Even (numbers divisible by 2)
sum_is(even) :- sum_number(N), even(N).

%! id: sum_odd
%! text: The sum is an odd number
%! source: knowledge/numbers.ttl, num:Odd (numbers not divisible by 2)
sum_is(odd) :- sum_number(N), odd(N).

%! id: sum_prime
%! text: The sum is a prime number
%! source: knowledge/numbers.ttl, num:Prime (with num:OddPrime and num:EvenPrime under it)
sum_is(prime) :- sum_number(N), prime(N).

%! id: sum_square
%! text: The sum is a perfect square
%! source: knowledge/numbers.ttl, num:Square (k * k: 0, 1, 4, 9, 16)
sum_is(square) :- sum_number(N), square(N).

query(sum_is(_)).
